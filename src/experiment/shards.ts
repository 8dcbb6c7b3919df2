/** Runs of shard `index` (1-based) of `count`: every count-th run, so shards balance. */
export function shardRuns<T>(runs: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return [...runs];
  return runs.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Parses "i/n" (1 ≤ i ≤ n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = typeof text === 'string' ? /^(\d+)\/(\d+)$/.exec(text.trim()) : null;
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new RangeError(`--shard must look like i/n with 1 ≤ i ≤ n (e.g. 2/4), got '${String(text)}'`);
  }
  return { index, count };
}
