/**
 * The same Vega-Lite spec with a tooltip on every line, point, bar and area mark that has none
 * (a string mark becomes `{ type, tooltip: true }`): the static figures' specs, made hoverable
 * for report.html. `line` marks with points get them on their points too.
 */
export function withTooltips(spec: object): Record<string, unknown> {
  const marks = new Set(['line', 'point', 'bar', 'area', 'circle', 'square', 'tick']);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    const mark = out.mark;
    if (typeof mark === 'string' && marks.has(mark)) out.mark = { type: mark, tooltip: true };
    else if (mark && typeof mark === 'object') {
      const m = mark as Record<string, unknown>;
      if (marks.has(String(m.type)) && m.tooltip === undefined) {
        const point = m.point;
        out.mark = {
          ...m,
          tooltip: true,
          ...(point === true && { point: { tooltip: true } }),
          ...(point !== null &&
            typeof point === 'object' && { point: { ...(point as object), tooltip: true } }),
        };
      }
    }
    return out;
  };
  return walk(spec) as Record<string, unknown>;
}
