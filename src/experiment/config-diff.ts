// Which fields of two JSON values differ, for messages that must say why two configurations are
// not the same one ("another configuration": which field, which value in each).

/** The differing leaves of `a` and `b` as `path: A → B` (at most `max`, then "and N more"). */
export function describeDifferences(a: unknown, b: unknown, max = 4): string {
  const found: string[] = [];
  walk(a, b, '', found);
  if (found.length === 0) return 'no field differs';
  const shown = found.slice(0, max).join(', ');
  return found.length > max ? `${shown} and ${found.length - max} more` : shown;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b))
    out.push(`${path || '(the whole value)'}: ${show(a)} → ${show(b)}`);
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
