import { sha256Hex } from '../util/files.ts';

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The identity of a run's numbers: its kind, the kind's result version and everything in its
 * config. A stored run with the same hash is reused; any difference retrains.
 */
export function runConfigHash(kind: string, resultVersion: number, config: object): string {
  // How often a run checkpoints, and which files it exports, do not change its numbers.
  const {
    checkpointEvery: _,
    exports: __,
    ...identity
  } = config as {
    checkpointEvery?: unknown;
    exports?: unknown;
  };
  return sha256Hex(canonicalJson({ kind, v: resultVersion, config: identity }));
}
