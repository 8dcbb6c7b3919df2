import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ops from '../src/autodiff/ops.ts';
import { Parameter, Tape, type Var } from '../src/autodiff/tape.ts';
import { sigmoid as sigmoid64 } from '../src/backend/activations.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { numericGradient, worstRelativeError } from './helpers/finite-diff.ts';

// Each op is checked two ways against an independent float64 oracle of its forward pass:
// the float32 forward agrees with it, and the analytic gradient (a vector–Jacobian product
// with a random cotangent R) agrees with central finite differences of Σ R ⊙ oracle(x).
// The analytic gradient is computed in float32: for the small sums here (≤ 6 terms) its
// relative rounding is a few ulps (≤ ~1e-6); float64 central differences with h = 1e-5 are
// accurate to ~1e-9. A tolerance of 1e-4 relative (+1e-6 absolute, for entries that cancel
// to ~0) is far above both and catches a backward rule that is off by even 0.1%.
const RTOL = 1e-4;
const ATOL = 1e-6;

type Oracle = (x: Float64Array[]) => Float64Array;
interface OpCase {
  name: string;
  shapes: (dims: number[]) => number[][];
  build: (vars: Var[]) => Var;
  oracle: (dims: number[]) => Oracle;
  /** Inputs too close to a kink make finite differences meaningless. */
  avoid?: boolean;
  /** Inputs restricted to (0, 1), e.g. probabilities and targets of BCE. */
  unit?: boolean;
}

const map1 =
  (f: (v: number) => number): ((dims: number[]) => Oracle) =>
  () =>
  (x) =>
    x[0].map(f);
const zip2 =
  (f: (a: number, b: number) => number): ((dims: number[]) => Oracle) =>
  () =>
  (x) =>
    x[0].map((v, i) => f(v, x[1][i]));
const act64: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  sigmoid: sigmoid64,
  tanh: Math.tanh,
};

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

const nearZero = (v: number) => Math.abs(v) < 1e-3;

const cases: OpCase[] = [
  {
    name: 'matmul',
    shapes: ([m, k, n]) => [
      [m, k],
      [k, n],
    ],
    build: ([a, b]) => ops.matmul(a, b),
    oracle:
      ([m, k, n]) =>
      (x) =>
        matmul64(x[0], x[1], m, k, n),
  },
  {
    name: 'add',
    shapes: ([m, n]) => [
      [m, n],
      [m, n],
    ],
    build: ([a, b]) => ops.add(a, b),
    oracle: zip2((a, b) => a + b),
  },
  {
    name: 'sub',
    shapes: ([m, n]) => [
      [m, n],
      [m, n],
    ],
    build: ([a, b]) => ops.sub(a, b),
    oracle: zip2((a, b) => a - b),
  },
  {
    name: 'mul',
    shapes: ([m, n]) => [
      [m, n],
      [m, n],
    ],
    build: ([a, b]) => ops.mul(a, b),
    oracle: zip2((a, b) => a * b),
  },
  {
    name: 'biasAdd',
    shapes: ([m, n]) => [[m, n], [n]],
    build: ([x, b]) => ops.biasAdd(x, b),
    oracle:
      ([, n]) =>
      (x) =>
        x[0].map((v, i) => v + x[1][i % n]),
  },
  {
    name: 'relu',
    shapes: ([m, n]) => [[m, n]],
    build: ([x]) => ops.relu(x),
    oracle: map1(act64.relu),
    avoid: true,
  },
  {
    name: 'sigmoid',
    shapes: ([m, n]) => [[m, n]],
    build: ([x]) => ops.sigmoid(x),
    oracle: map1(act64.sigmoid),
  },
  { name: 'tanh', shapes: ([m, n]) => [[m, n]], build: ([x]) => ops.tanh(x), oracle: map1(act64.tanh) },
  { name: 'identity', shapes: ([m, n]) => [[m, n]], build: ([x]) => ops.identity(x), oracle: map1((v) => v) },
  {
    name: 'scale',
    shapes: ([m, n]) => [[m, n]],
    build: ([x]) => ops.scale(x, -1.5),
    oracle: map1((v) => -1.5 * v),
  },
  {
    name: 'sum',
    shapes: ([m, n]) => [[m, n]],
    build: ([x]) => ops.sum(x),
    oracle: () => (x) => Float64Array.of(x[0].reduce((s, v) => s + v, 0)),
  },
  {
    name: 'mean',
    shapes: ([m, n]) => [[m, n]],
    build: ([x]) => ops.mean(x),
    oracle: () => (x) => Float64Array.of(x[0].reduce((s, v) => s + v, 0) / x[0].length),
  },
  {
    name: 'mse',
    shapes: ([m, n]) => [
      [m, n],
      [m, n],
    ],
    build: ([p, t]) => ops.mse(p, t),
    oracle: () => (x) => Float64Array.of(x[0].reduce((s, v, i) => s + (v - x[1][i]) ** 2, 0) / x[0].length),
  },
  {
    name: 'bce',
    shapes: ([m, n]) => [
      [m, n],
      [m, n],
    ],
    build: ([p, t]) => ops.bce(p, t),
    oracle: () => (x) =>
      Float64Array.of(
        -x[0].reduce((s, p, i) => s + x[1][i] * Math.log(p) + (1 - x[1][i]) * Math.log(1 - p), 0) /
          x[0].length,
      ),
    unit: true,
  },
  ...(['linear', 'relu', 'sigmoid', 'tanh'] as const).map(
    (act): OpCase => ({
      name: `dense:${act}`,
      shapes: ([m, k, n]) => [[m, k], [k, n], [n]],
      build: ([x, w, b]) => ops.dense(x, w, b, act),
      oracle:
        ([m, k, n]) =>
        (x) =>
          matmul64(x[0], x[1], m, k, n).map((v, i) => act64[act](v + x[2][i % n])),
    }),
  ),
];

const backend = referenceBackendFactory.create({});

/** Runs our op on float32 copies of the inputs; returns the output and each input's gradient. */
function analytic(c: OpCase, shapes: number[][], inputs: Float64Array[], cotangent: Float64Array) {
  const tape = new Tape(backend);
  const params = shapes.map((s, i) => new Parameter(`x${i}`, new Tensor(Float32Array.from(inputs[i]), s)));
  const vars = params.map((p) => tape.param(p));
  const out = c.build(vars);
  tape.backward(out, new Tensor(Float32Array.from(cotangent), out.shape));
  return { out: Float64Array.from(out.value.data), grads: params.map((p) => Float64Array.from(p.grad.data)) };
}

const dimsArb = fc.tuple(
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 6 }),
  fc.integer({ min: 1, max: 5 }),
);

describe('every op: float32 forward and backward agree with a float64 oracle', () => {
  for (const c of cases) {
    it(c.name, () => {
      fc.assert(
        fc.property(dimsArb, fc.integer(), (dims, seed) => {
          const shapes = c.shapes(dims);
          const inputs = shapes.map((s, i) =>
            randomValues(
              s.reduce((a, b) => a * b, 1),
              seed + i * 7919,
              c.unit,
            ),
          );
          const oracle = c.oracle(dims);
          // Finite differences across relu's kink are meaningless: keep its inputs (and the
          // dense:relu pre-activations) away from 0. fc.pre fails the run if it skips too often.
          if (c.avoid) fc.pre(!inputs[0].some(nearZero));
          if (c.name === 'dense:relu') {
            const [m, k, n] = dims;
            fc.pre(!matmul64(inputs[0], inputs[1], m, k, n).some((v, i) => nearZero(v + inputs[2][i % n])));
          }
          const f32Inputs = inputs.map((x) => x.map(Math.fround));
          const reference = oracle(f32Inputs);
          const cotangent = randomValues(reference.length, seed ^ 0x5bd1e995, false);
          const { out, grads } = analytic(c, shapes, inputs, cotangent);
          expect(worstRelativeError(out, reference, RTOL, ATOL)).toBeLessThanOrEqual(1);
          const loss = (xs: Float64Array[]) => oracle(xs).reduce((s, v, i) => s + v * cotangent[i], 0);
          grads.forEach((g, which) => {
            const numeric = numericGradient(loss, f32Inputs, which);
            const worst = worstRelativeError(g, numeric, RTOL, ATOL);
            if (worst > 1)
              throw new Error(`${c.name}: gradient of input ${which} off by ${worst}× tolerance`);
          });
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('the property above can fail', () => {
  it('detects a backward rule with the wrong sign', () => {
    const broken: OpCase = {
      name: 'broken-sub',
      shapes: ([m, n]) => [
        [m, n],
        [m, n],
      ],
      build: ([a, b]) => ops.add(a, b), // forward of add, checked against the oracle of sub
      oracle: zip2((a, b) => a - b),
    };
    const inputs = [Float64Array.of(0.5, -0.25), Float64Array.of(0.75, 0.125)];
    const { grads } = analytic(
      broken,
      [
        [1, 2],
        [1, 2],
      ],
      inputs,
      Float64Array.of(1, 1),
    );
    const numeric = numericGradient(
      (xs) =>
        broken
          .oracle([1, 2])(xs)
          .reduce((s, v) => s + v, 0),
      inputs,
      1,
    );
    expect(worstRelativeError(grads[1], numeric, RTOL, ATOL)).toBeGreaterThan(1);
  });
});

describe('tape semantics', () => {
  it('a value used twice receives the sum of both gradients', () => {
    const tape = new Tape(backend);
    const p = new Parameter('x', Tensor.from([3], [1]));
    const x = tape.param(p);
    const y = ops.sum(ops.mul(x, x)); // y = x², dy/dx = 2x
    tape.backward(y);
    expect(p.grad.data[0]).toBeCloseTo(6, 6);
  });

  it('a parameter entering a new tape starts from a zero gradient', () => {
    const p = new Parameter('x', Tensor.from([1, 2], [2]));
    for (let step = 0; step < 2; step++) {
      const tape = new Tape(backend);
      tape.backward(ops.sum(tape.param(p)));
      expect([...p.grad.data]).toEqual([1, 1]);
      tape.release();
    }
  });

  it('gradients do not flow into constants, and inference tapes record no backward', () => {
    const tape = new Tape(backend, undefined, false);
    const p = new Parameter('w', Tensor.from([1, 2, 3, 4], [2, 2]));
    const out = ops.matmul(tape.constant(Tensor.from([1, 1], [1, 2])), tape.param(p));
    expect(out.requiresGrad).toBe(false);
    expect(() => tape.backward(ops.sum(out))).toThrow(/does not depend on any parameter/);
  });

  it('shape errors name both shapes', () => {
    const tape = new Tape(backend);
    const a = tape.constant(Tensor.zeros([2, 3]));
    const b = tape.constant(Tensor.zeros([4, 5]));
    expect(() => ops.matmul(a, b)).toThrow(/\[2×3\].*\[4×5\]/);
    expect(() => ops.add(a, b)).toThrow(/\[2×3\].*\[4×5\]/);
    expect(() => ops.biasAdd(a, tape.constant(Tensor.zeros([2])))).toThrow(/\[2\].*\[2×3\]/);
  });

  it('backward from a non-scalar without a seed tensor is an error', () => {
    const tape = new Tape(backend);
    const v = ops.relu(tape.param(new Parameter('x', Tensor.zeros([2, 2]))));
    expect(() => tape.backward(v)).toThrow(/needs a seed tensor/);
  });
});

/** Deterministic values in [-1, 1] (or (0.05, 0.95) for probabilities) from a small LCG. */
function randomValues(n: number, seed: number, unit = false): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = unit ? 0.05 + 0.9 * u : 2 * u - 1;
  }
  return out;
}
