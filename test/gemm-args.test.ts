import { describe, expect, it } from 'vitest';
import { checkCounts, checkedGemm, type GemmBody } from '../src/backend/gemm-args.ts';
import { getBackend, listBackends } from '../src/backend/index.ts';

// Every backend's gemm goes through checkedGemm (src/backend/gemm-args.ts): the same RangeErrors
// for bad sizes, nothing written for an empty C, C zeroed (or left, when accumulating) for k = 0,
// and only non-empty products reach the backend's own body.
const f32 = (n: number, v = 7) => new Float32Array(n).fill(v);

describe('checkedGemm', () => {
  const calls: unknown[][] = [];
  const body: GemmBody = (...args) => {
    calls.push(args);
  };
  const gemm = checkedGemm(body);

  it('hands the body only products with m, n, k > 0, with accumulate defaulted to false', () => {
    calls.length = 0;
    const [a, b, c] = [f32(6), f32(12), f32(8)];
    gemm(true, false, 2, 4, 3, a, b, c);
    gemm(false, true, 2, 4, 3, a, b, c, true);
    gemm(false, false, 0, 4, 3, a, b, c);
    gemm(false, false, 2, 0, 3, a, b, c);
    gemm(false, false, 2, 4, 0, a, b, c);
    expect(calls).toEqual([
      [true, false, 2, 4, 3, a, b, c, false],
      [false, true, 2, 4, 3, a, b, c, true],
    ]);
  });

  it('checkCounts names the first count that is not a non-negative integer', () => {
    expect(() => checkCounts('k1', { rows: 3, k: 0 })).not.toThrow();
    expect(() => checkCounts('k1', { rows: 3, k: 1.5, x: -1 })).toThrow(
      new RangeError('k1: k must be a non-negative integer, got 1.5'),
    );
    expect(() => checkCounts('k1', { 'segments.count': Number.NaN })).toThrow(
      new RangeError('k1: segments.count must be a non-negative integer, got NaN'),
    );
  });
});

const names = listBackends()
  .filter((b) => b.available)
  .map((b) => b.name);

describe.each(names)('%s gemm: the shared checks and empty products', (name) => {
  const backend = getBackend(name);

  it('throws the same RangeErrors for bad sizes and short buffers', () => {
    const [a, b, c] = [f32(6), f32(12), f32(8)];
    expect(() => backend.gemm(false, false, -1, 4, 3, a, b, c)).toThrow(
      new RangeError('gemm: m must be a non-negative integer, got -1'),
    );
    expect(() => backend.gemm(false, false, 2, 4.5, 3, a, b, c)).toThrow(
      new RangeError('gemm: n must be a non-negative integer, got 4.5'),
    );
    expect(() => backend.gemm(false, false, 2, 4, 4, a, f32(16), c)).toThrow(
      new RangeError('gemm: A has 6 elements, needs m·k = 2·4 = 8'),
    );
    expect(() => backend.gemm(false, false, 2, 4, 3, a, f32(11), c)).toThrow(
      new RangeError('gemm: B has 11 elements, needs k·n = 3·4 = 12'),
    );
    expect(() => backend.gemm(false, false, 2, 4, 3, a, b, f32(7))).toThrow(
      new RangeError('gemm: C has 7 elements, needs m·n = 2·4 = 8'),
    );
  });

  it('writes nothing for an empty C, and zeroes exactly C (unless accumulating) for k = 0', () => {
    const c = f32(10, 5);
    backend.gemm(false, false, 0, 4, 3, f32(0), f32(12), c);
    backend.gemm(true, true, 3, 0, 2, f32(6), f32(0), c, true);
    expect([...c]).toEqual(new Array(10).fill(5));
    backend.gemm(false, false, 2, 4, 0, f32(0), f32(0), c, true);
    expect([...c]).toEqual(new Array(10).fill(5));
    backend.gemm(false, true, 2, 4, 0, f32(0), f32(0), c);
    expect([...c]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 5, 5]);
  });
});
