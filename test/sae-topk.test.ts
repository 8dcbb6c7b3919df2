import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Parameter, Tape, type Var } from '../src/autodiff/tape.ts';
import { densify, sparseMatmul, topk, topkLinear } from '../src/autodiff/topk.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { numericGradient, worstRelativeError } from './helpers/finite-diff.ts';

// The top-k ops against a float64 oracle, as test/autodiff-gradients.test.ts checks every op:
// the float32 forward agrees with the oracle, and the analytic vector–Jacobian product agrees
// with central differences of Σ R ⊙ oracle(x). Top-k is piecewise linear: finite differences are
// meaningful only where no two entries of a row are within 2h of swapping order and no kept entry
// is within 2h of ReLU's kink, so inputs closer than 1e-3 to either are skipped (fc.pre).
const RTOL = 1e-4;
const ATOL = 1e-6;
const backend = referenceBackendFactory.create({});

function matmul64(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  return c;
}

/** Dense TopK of each row in float64 by sorting: ReLU of the k largest eligible entries, 0 elsewhere. */
function topk64(x: Float64Array, m: number, n: number, k: number, eligible?: Uint8Array): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const cols = [...Array(n).keys()].filter((c) => !eligible || eligible[c]);
    cols.sort((a, b) => x[i * n + b] - x[i * n + a]);
    for (const c of cols.slice(0, k)) out[i * n + c] = Math.max(0, x[i * n + c]);
  }
  return out;
}

/** True when the row's eligible values are ≥ 1e-3 apart and ≥ 1e-3 from 0 (see the note above). */
function wellSeparated(x: Float64Array, m: number, n: number, eligible?: Uint8Array): boolean {
  for (let i = 0; i < m; i++) {
    const vals = [...x.subarray(i * n, (i + 1) * n)]
      .filter((_, c) => !eligible || eligible[c])
      .sort((a, b) => a - b);
    for (let j = 0; j < vals.length; j++) {
      if (Math.abs(vals[j]) < 1e-3) return false;
      if (j > 0 && vals[j] - vals[j - 1] < 1e-3) return false;
    }
  }
  return true;
}

function randomValues(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (2 * s) / 2 ** 32 - 1;
  }
  return out;
}

/** Runs `build` on float32 parameters; returns the output and each input's gradient for cotangent R. */
function analytic(
  shapes: number[][],
  inputs: Float64Array[],
  build: (v: Var[]) => Var,
  cotangent: (len: number) => Float64Array,
) {
  const tape = new Tape(backend);
  const params = shapes.map((s, i) => new Parameter(`x${i}`, new Tensor(Float32Array.from(inputs[i]), s)));
  const out = build(params.map((p) => tape.param(p)));
  const r = cotangent(out.value.size);
  tape.backward(out, new Tensor(Float32Array.from(r), out.shape));
  return {
    out: Float64Array.from(out.value.data),
    grads: params.map((p) => Float64Array.from(p.grad.data)),
    r,
  };
}

function checkAgainstOracle(
  name: string,
  shapes: number[][],
  inputs: Float64Array[],
  build: (v: Var[]) => Var,
  oracle: (x: Float64Array[]) => Float64Array,
  seed: number,
): void {
  const f32 = inputs.map((x) => x.map(Math.fround));
  const reference = oracle(f32);
  const { out, grads, r } = analytic(shapes, f32, build, (len) => randomValues(len, seed ^ 0x5bd1e995));
  expect(worstRelativeError(out, reference, RTOL, ATOL)).toBeLessThanOrEqual(1);
  const loss = (xs: Float64Array[]) => oracle(xs).reduce((s, v, i) => s + v * r[i], 0);
  grads.forEach((g, which) => {
    const worst = worstRelativeError(g, numericGradient(loss, f32, which), RTOL, ATOL);
    if (worst > 1) throw new Error(`${name}: gradient of input ${which} off by ${worst}× tolerance`);
  });
}

const dims = fc.record({
  m: fc.integer({ min: 1, max: 4 }),
  d: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 2, max: 7 }),
  seed: fc.integer(),
});

describe('top-k ops agree with a float64 oracle, forward and backward', () => {
  it('topk (densified)', () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 7 }), ({ m, n, seed }, kRaw) => {
        const k = Math.min(kRaw, n);
        const x = randomValues(m * n, seed);
        fc.pre(wellSeparated(x, m, n));
        checkAgainstOracle(
          'topk',
          [[m, n]],
          [x],
          ([v]) => densify(topk(v, k)),
          ([a]) => topk64(a, m, n, k),
          seed,
        );
      }),
      { numRuns: 80 },
    );
  });

  it('topkLinear with and without an eligibility mask (densified)', () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 7 }), fc.boolean(), ({ m, d, n, seed }, kRaw, masked) => {
        const eligible = masked ? Uint8Array.from({ length: n }, (_, c) => (c % 3 === 1 ? 0 : 1)) : undefined;
        const available = eligible ? eligible.reduce((s, f) => s + f, 0) : n;
        const k = Math.min(kRaw, available);
        const inputs = [randomValues(m * d, seed), randomValues(d * n, seed + 1), randomValues(n, seed + 2)];
        const pre = (xs: Float64Array[]) => matmul64(xs[0], xs[1], m, d, n).map((v, i) => v + xs[2][i % n]);
        fc.pre(wellSeparated(pre(inputs.map((a) => a.map(Math.fround))), m, n, eligible));
        checkAgainstOracle(
          'topkLinear',
          [[m, d], [d, n], [n]],
          inputs,
          ([x, w, b]) => densify(topkLinear(x, w, b, [{ k, eligible }])[0]),
          (xs) => topk64(pre(xs), m, n, k, eligible),
          seed,
        );
      }),
      { numRuns: 80 },
    );
  });

  it('sparseMatmul of topk equals the dense product of TopK(x) and W', () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 7 }), ({ m, d, n, seed }, kRaw) => {
        const k = Math.min(kRaw, n);
        const inputs = [randomValues(m * n, seed), randomValues(n * d, seed + 3)];
        fc.pre(wellSeparated(inputs[0].map(Math.fround), m, n));
        checkAgainstOracle(
          'sparseMatmul',
          [
            [m, n],
            [n, d],
          ],
          inputs,
          ([x, w]) => sparseMatmul(topk(x, k), w),
          (xs) => matmul64(topk64(xs[0], m, n, k), xs[1], m, n, d),
          seed,
        );
      }),
      { numRuns: 80 },
    );
  });
});

describe('top-k semantics', () => {
  it('the backward pass reaches only kept, positive entries', () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 7 }), ({ m, n, seed }, kRaw) => {
        const k = Math.min(kRaw, n);
        const tape = new Tape(backend);
        const p = new Parameter('x', new Tensor(Float32Array.from(randomValues(m * n, seed)), [m, n]));
        const s = topk(tape.param(p), k);
        tape.backward(s.values, new Tensor(new Float32Array(m * k).fill(1), [m, k]));
        const kept = new Set<number>();
        for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) kept.add(i * n + s.indices[i * k + j]);
        for (let e = 0; e < m * n; e++) {
          const expected = kept.has(e) && p.value.data[e] > 0 ? 1 : 0;
          expect(p.grad.data[e]).toBe(expected);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('keeps exactly k entries per row, ascending, and the earlier of two equal entries', () => {
    const tape = new Tape(backend);
    const x = tape.constant(Tensor.from([0.5, 2, 0.5, -1, 3, 0.5], [1, 6]));
    const s = topk(x, 3);
    expect([...s.indices]).toEqual([0, 1, 4]);
    expect([...s.values.value.data]).toEqual([0.5, 2, 3]);
  });

  it('an eligibility mask never selects an ineligible column, and k above the eligible count is an error', () => {
    const tape = new Tape(backend);
    const x = tape.constant(Tensor.from([5, 1, 4, 2], [1, 4]));
    const s = topk(x, { k: 2, eligible: Uint8Array.of(0, 1, 0, 1) });
    expect([...s.indices]).toEqual([1, 3]);
    expect(() => topk(x, { k: 3, eligible: Uint8Array.of(0, 1, 0, 1) })).toThrow(/exceeds the 2 eligible/);
    expect(() => topk(x, 0)).toThrow(/k must be an integer/);
  });
});
