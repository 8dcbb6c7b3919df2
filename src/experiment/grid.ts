// One grid for every kind's `expand`, in the way of scikit-learn's ParameterGrid: named axes, each
// a list of values, crossed in a fixed order (the first axis outermost, the seed innermost), so a
// run's index, and therefore the shard that runs it, depends only on the spec.

/** Named axes: each a non-empty list of values, in the order runs should take them. */
export type GridAxes = Readonly<Record<string, readonly unknown[]>>;

/** One point of a grid: a value from each axis, and its seed. */
export type GridPoint<A extends GridAxes> = { readonly [K in keyof A]: A[K][number] } & {
  readonly seed: number;
};

export interface GridSeeds<A extends GridAxes> {
  /** The first seed; seed i of a point is first + i. */
  readonly first: number;
  /** Seeds per point: a number, or one per point (e.g. per sample count). */
  readonly count: number | ((point: { readonly [K in keyof A]: A[K][number] }) => number);
}

/**
 * The points of axes × seeds in their fixed order, without those `keep` rejects (e.g. k > n).
 * An empty axis gives no point; an axis that is not an array is an error naming it.
 */
export function gridPoints<A extends GridAxes>(
  axes: A,
  seeds: GridSeeds<A>,
  keep: (point: { readonly [K in keyof A]: A[K][number] }) => boolean = () => true,
): GridPoint<A>[] {
  const names = Object.keys(axes) as (keyof A & string)[];
  for (const n of names)
    if (!Array.isArray(axes[n])) throw new Error(`grid: axis '${n}' is not a list of values`);
  const out: GridPoint<A>[] = [];
  const point: Record<string, unknown> = {};
  const walk = (depth: number): void => {
    if (depth === names.length) {
      const p = { ...point } as { readonly [K in keyof A]: A[K][number] };
      if (!keep(p)) return;
      const count = typeof seeds.count === 'function' ? seeds.count(p) : seeds.count;
      if (!Number.isInteger(count) || count < 0)
        throw new Error(`grid: the seed count must be a whole number ≥ 0, got ${count}`);
      for (let i = 0; i < count; i++) out.push({ ...p, seed: seeds.first + i } as GridPoint<A>);
      return;
    }
    for (const v of axes[names[depth]]) {
      point[names[depth]] = v;
      walk(depth + 1);
    }
  };
  walk(0);
  return out;
}
