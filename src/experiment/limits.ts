// The limits every spec is held to before any work, whatever its kind: how deep it nests, how
// many runs its grid expands to, how large one buffer of a run may be, and that labels which
// become ids are unique. Each refusal names the field and the value that broke the limit.

/** A spec nested deeper than this is refused (specs are a few levels deep; cloning recurses). */
export const MAX_SPEC_DEPTH = 64;

/** A grid that would expand to more runs than this is refused before it is expanded. */
export const MAX_STUDY_RUNS = 100_000;

/**
 * The most float32 values one buffer of a run may hold: 2^30 (4 GiB), the whole heap of the
 * simd backend (32-bit WebAssembly memory). A larger one cannot be allocated there, and is
 * refused at validation rather than failing in a worker.
 */
export const MAX_BUFFER_FLOATS = 2 ** 30;

/** `path.to[3].field`, as zod's messages spell paths. */
function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

/**
 * The path of the first value nested deeper than `max` levels in `raw`, or undefined. Iterative
 * (a deep value must not overflow the stack here either); each object is visited once.
 */
export function tooDeep(raw: unknown, max = MAX_SPEC_DEPTH): string | undefined {
  const seen = new Set<object>();
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: raw, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (path.length >= max) return pathText(path);
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [k, v] of entries) stack.push({ value: v, path: [...path, k] });
  }
  return undefined;
}

/** One axis of a grid: the spec field it comes from and how many values it has. */
export interface GridAxis {
  readonly field: string;
  readonly size: number;
}

/**
 * Why a grid of these axes is too large (its run count is their product, computed before any
 * run exists), naming the largest axis; undefined when it is within MAX_STUDY_RUNS.
 */
export function gridTooLarge(axes: readonly GridAxis[], max = MAX_STUDY_RUNS): string | undefined {
  const runs = axes.reduce((p, a) => p * a.size, 1);
  if (runs <= max) return undefined;
  const largest = axes.reduce((a, b) => (b.size > a.size ? b : a));
  const product = axes.map((a) => `${a.field} ${a.size}`).join(' × ');
  return `${largest.field}: the grid would expand to ${runs} runs (${product}), more than the ${max} a study may have; split it into several studies or shards of a smaller grid`;
}

/** A buffer a run will allocate: the field whose value sizes it, what it is, and its float count. */
export interface PlannedBuffer {
  readonly field: string;
  readonly what: string;
  readonly floats: number;
}

/** One message per buffer above MAX_BUFFER_FLOATS, naming its field. */
export function oversizedBuffers(buffers: readonly PlannedBuffer[], max = MAX_BUFFER_FLOATS): string[] {
  return buffers
    .filter((b) => !(b.floats <= max))
    .map(
      (b) =>
        `${b.field}: ${b.what} would hold ${b.floats} float32 values, more than the ${max} (${(max * 4) / 2 ** 30} GiB) one buffer can; choose a smaller value`,
    );
}

/** One message per repeated label, naming the path of the repeat and of the first use. */
export function duplicateLabels(labels: readonly string[], path: (i: number) => string): string[] {
  const first = new Map<string, number>();
  const problems: string[] = [];
  labels.forEach((label, i) => {
    const earlier = first.get(label);
    if (earlier === undefined) first.set(label, i);
    else
      problems.push(
        `${path(i)}: label '${label}' is used twice (also ${path(earlier)}); labels become run ids, give each entry its own`,
      );
  });
  return problems;
}

/** The first run id produced twice by an expansion, or undefined. */
export function repeatedId(runs: readonly { id: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.id)) return r.id;
    seen.add(r.id);
  }
  return undefined;
}
