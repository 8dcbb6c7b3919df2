/**
 * The leaf paths ('datasets.0.params.dim') where two parsed specs differ, leaving out what names a
 * study (name, description, outputs): how the ablation tests check that a part moves one setting.
 */
export function specDifferences(a: unknown, b: unknown): string[] {
  const leaves = (v: unknown, at = ''): [string, unknown][] =>
    v !== null && typeof v === 'object'
      ? Object.entries(v).flatMap(([k, x]) => leaves(x, at ? `${at}.${k}` : k))
      : [[at, v]];
  const [x, y] = [new Map(leaves(a)), new Map(leaves(b))];
  return [...new Set([...x.keys(), ...y.keys()])]
    .filter((k) => !/^(name|description|outputs\.)/.test(k) && x.get(k) !== y.get(k))
    .sort();
}
