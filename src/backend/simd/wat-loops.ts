/**
 * The loop every streaming WAT kernel here runs: `counter` from 0 to `limit` floats, four a step
 * (`vector`) while four remain, then one at a time (`scalar`), `pointers` advanced with it by 16
 * and 4 bytes. The function needs i32 locals `counter` and `$end4`.
 */
export function by4ThenBy1(
  counter: string,
  limit: string,
  pointers: readonly string[],
  vector: string,
  scalar: string,
): string {
  const advance = (bytes: number) =>
    pointers.map((p) => `(local.set ${p} (i32.add (local.get ${p}) (i32.const ${bytes})))`).join('\n    ');
  return `
  (local.set $end4 (i32.and (local.get ${limit}) (i32.const -4)))
  (local.set ${counter} (i32.const 0))
  (block $done4 (loop $by4
    (br_if $done4 (i32.ge_u (local.get ${counter}) (local.get $end4)))
    ${vector}
    ${advance(16)}
    (local.set ${counter} (i32.add (local.get ${counter}) (i32.const 4)))
    (br $by4)))
  (block $done1 (loop $by1
    (br_if $done1 (i32.ge_u (local.get ${counter}) (local.get ${limit})))
    ${scalar}
    ${advance(4)}
    (local.set ${counter} (i32.add (local.get ${counter}) (i32.const 1)))
    (br $by1)))`;
}
