import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ops from '../src/autodiff/ops.ts';
import { Tape } from '../src/autodiff/tape.ts';
import { erfScaled } from '../src/backend/erf.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { type LayerActivation, Linear, TiedLinear } from '../src/nn/linear.ts';
import {
  SHALLOW_ACTIVATIONS,
  SHALLOW_BIASES,
  type ShallowActivation,
  ShallowAutoencoder,
  type ShallowBias,
  TIED_GRADIENTS,
} from '../src/shallow/model.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { numericGradient, worstRelativeError } from './helpers/finite-diff.ts';

// The oracle: the per-sample loss ‖x − x̂‖²/(2D) of x̂ = V g(W·x/√D + b) + c written as plain
// float64 loops, independent of both the tape and the model's fused step. Gradients are checked
// against its central differences (h = 1e-5: error ~1e-9 against tolerances of 1e-5).

const g64: Record<ShallowActivation, (z: number) => number> = {
  linear: (z) => z,
  relu: (z) => Math.max(z, 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  erf: erfScaled,
};

interface Dims {
  d: number;
  k: number;
  tied: boolean;
  /** Where the biases sit: b inside g ('encoder'), c on the output ('decoder'), both or none. */
  bias: ShallowBias;
  act: ShallowActivation;
  /** Tied only: 'encoder' steps W along its encoder use alone (the authors' detached decoder). */
  tiedGradient?: 'full' | 'encoder';
}

const hasB = (dims: Pick<Dims, 'bias'>) => dims.bias === 'encoder' || dims.bias === 'both';
const hasC = (dims: Pick<Dims, 'bias'>) => dims.bias === 'decoder' || dims.bias === 'both';

/** Parameters as [W (D×K), V (K×D) or empty, b, c]. */
function oracleLoss(dims: Dims, x: Float64Array) {
  const { d, k, tied, act } = dims;
  const withB = hasB(dims);
  const withC = hasC(dims);
  return (p: Float64Array[]): number => {
    const [w, v, b, c] = p;
    const h = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let z = 0;
      for (let i = 0; i < d; i++) z += x[i] * w[i * k + j];
      h[j] = g64[act](z / Math.sqrt(d) + (withB ? b[j] : 0));
    }
    let sq = 0;
    for (let i = 0; i < d; i++) {
      let xhat = withC ? c[i] : 0;
      for (let j = 0; j < k; j++) xhat += h[j] * (tied ? w[i * k + j] : v[j * d + i]);
      sq += (x[i] - xhat) ** 2;
    }
    return sq / (2 * d);
  };
}

const dimsArb = fc.record({
  d: fc.integer({ min: 2, max: 9 }),
  k: fc.integer({ min: 1, max: 4 }),
  tied: fc.boolean(),
  bias: fc.constantFrom(...SHALLOW_BIASES),
  act: fc.constantFrom(...SHALLOW_ACTIVATIONS),
  tiedGradient: fc.constantFrom(...TIED_GRADIENTS),
});

/**
 * The oracle's gradient in W. Tied with tiedGradient 'encoder', the decoder reads W as a
 * constant: that is the untied oracle's encoder gradient with V = Wᵀ held fixed.
 */
function oracleWeightGradient(dims: Dims, x: Float64Array, p: Float64Array[]): Float64Array {
  if (!(dims.tied && dims.tiedGradient === 'encoder')) return numericGradient(oracleLoss(dims, x), p, 0);
  const { d, k } = dims;
  const vFixed = new Float64Array(k * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < k; j++) vFixed[j * d + i] = p[0][i * k + j];
  return numericGradient(oracleLoss({ ...dims, tied: false }, x), [p[0], vFixed, p[2], p[3]], 0);
}

function randomParams(dims: Dims, seed: number): Float64Array[] {
  const rng = Rng.seeded(seed);
  const { d, k } = dims;
  return [
    rng.child('w').fillNormal(new Float64Array(d * k), 0, 0.8),
    dims.tied ? new Float64Array(0) : rng.child('v').fillNormal(new Float64Array(k * d), 0, 0.8),
    hasB(dims) ? rng.child('b').fillNormal(new Float64Array(k), 0, 0.5) : new Float64Array(0),
    hasC(dims) ? rng.child('c').fillNormal(new Float64Array(d), 0, 0.5) : new Float64Array(0),
  ];
}

/** ReLU's kink makes finite differences meaningless when a pre-activation is near 0. */
function nearKink(dims: Dims, x: Float64Array, p: Float64Array[]): boolean {
  if (dims.act !== 'relu') return false;
  for (let j = 0; j < dims.k; j++) {
    let z = 0;
    for (let i = 0; i < dims.d; i++) z += x[i] * p[0][i * dims.k + j];
    if (Math.abs(z / Math.sqrt(dims.d) + (hasB(dims) ? p[2][j] : 0)) < 1e-3) return true;
  }
  return false;
}

function loadModel(model: ShallowAutoencoder, p: Float64Array[]): void {
  model.w.set(p[0]);
  if (model.v) model.v.set(p[1]);
  if (model.b) model.b.set(p[2]);
  if (model.c) model.c.set(p[3]);
}

describe('shallow autoencoder gradients', () => {
  it('the model’s fused step computes ∂ℓ/∂θ of the float64 oracle (tied: both uses of W summed, or the encoder’s alone)', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer(), (dims, seed) => {
        const x = Rng.seeded(seed).child('x').fillNormal(new Float64Array(dims.d));
        const p = randomParams(dims, seed);
        fc.pre(!nearKink(dims, x, p));
        const model = new ShallowAutoencoder(
          { ...dims, activation: dims.act, lr: 0.1, precision: 'float64' },
          Rng.seeded(0),
        );
        loadModel(model, p);
        const grads = model.gradientBuffers();
        const loss = model.step(x, 0, grads);
        const f = oracleLoss(dims, x);
        expect(Math.abs(loss - f(p))).toBeLessThan(1e-12 * (1 + f(p)));
        const analytic = [grads.w, grads.v, grads.b, grads.c];
        for (let which = 0; which < 4; which++) {
          if (p[which].length === 0) continue;
          const numeric = which === 0 ? oracleWeightGradient(dims, x, p) : numericGradient(f, p, which);
          expect(worstRelativeError(analytic[which]!, numeric, 1e-5, 1e-8)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a tied tape graph (Linear + TiedLinear over one kernel parameter) matches finite differences', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer(), (dims, seed) => {
        const { d, k } = dims;
        const x = Rng.seeded(seed).child('x').fillNormal(new Float64Array(d));
        const p = randomParams({ ...dims, tied: true }, seed);
        fc.pre(!nearKink({ ...dims, tied: true }, x, p));
        const act: LayerActivation = dims.act;
        const enc = new Linear(d, k, 'enc', { bias: hasB(dims), scale: 1 / Math.sqrt(d), activation: act });
        const dec = new TiedLinear(enc, 'dec', { bias: hasC(dims) });
        enc.kernel.value.data.set(p[0]);
        if (enc.bias) enc.bias.value.data.set(p[2]);
        if (dec.bias) dec.bias.value.data.set(p[3]);
        // The float32 tape against a float64 oracle of float32-rounded parameters.
        const rounded = p.map((a) => Float64Array.from(Float32Array.from(a)));
        const x32 = Float32Array.from(x);
        const tape = new Tape(referenceBackendFactory.create({}));
        const input = tape.constant(new Tensor(x32, [1, d]));
        const out = dec.forward(tape, enc.forward(tape, input));
        const loss = ops.scale(ops.mse(out, input), 0.5);
        tape.backward(loss);
        const f = oracleLoss({ ...dims, tied: true }, Float64Array.from(x32));
        expect(Math.abs(loss.item() - f(rounded))).toBeLessThan(1e-5 * (1 + f(rounded)));
        const checks: [Float32Array, number][] = [[enc.kernel.grad.data, 0]];
        if (enc.bias) checks.push([enc.bias.grad.data, 2]);
        if (dec.bias) checks.push([dec.bias.grad.data, 3]);
        for (const [grad, which] of checks) {
          const numeric = numericGradient(f, rounded, which);
          expect(worstRelativeError(grad, numeric, 1e-3, 1e-5)).toBeLessThanOrEqual(1);
        }
        tape.release();
      }),
      { numRuns: 100 },
    );
  });

  it('the float32 SIMD step moves every parameter by −lr·∂ℓ/∂θ of the float64 gradient', () => {
    fc.assert(
      fc.property(dimsArb, fc.integer({ min: 5, max: 40 }), fc.integer(), (dims, dBig, seed) => {
        // D up to 40 so the kernels' four-wide loops and their one-at-a-time tails both run.
        const full = { ...dims, d: dBig };
        const x = Rng.seeded(seed).child('x').fillNormal(new Float64Array(full.d));
        const p = randomParams(full, seed).map((a) => Float64Array.from(Float32Array.from(a)));
        fc.pre(!nearKink(full, x, p));
        const x32 = Float32Array.from(x);
        const make = (precision: 'float32' | 'float64') =>
          new ShallowAutoencoder({ ...full, activation: full.act, lr: 0.5, precision }, Rng.seeded(0));
        const fast = make('float32');
        const exact = make('float64');
        loadModel(fast, p);
        loadModel(exact, p);
        const grads = exact.gradientBuffers();
        exact.step(Float64Array.from(x32), 0, grads);
        fast.step(x32, 0);
        const moved = (after: Float32Array | Float64Array | null, before: Float64Array, lr: number) =>
          Float64Array.from(after ?? [], (a, i) => (before[i] - a) / lr);
        const cases: [Float32Array | Float64Array | null, number, Float64Array | null, number][] = [
          [fast.w, 0, grads.w, fast.lrW],
          [fast.v, 1, grads.v, fast.lrV],
          [fast.b, 2, grads.b, fast.lrB],
          [fast.c, 3, grads.c, fast.lrC],
        ];
        for (const [after, which, grad, lr] of cases) {
          if (!after || !grad) continue;
          // float32 rounding of θ (|θ| ≲ 3) divided by lr·|∂ℓ/∂θ|: an absolute tolerance in θ units.
          expect(worstRelativeError(moved(after, p[which], lr), grad, 1e-3, 4e-7 / lr)).toBeLessThanOrEqual(
            1,
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it("steps the encoder bias as the authors do: b' inside (w·x + b')/√D with rate η is b = b'/√D with rate η/D", () => {
    fc.assert(
      fc.property(dimsArb, fc.double({ min: 0.01, max: 2, noNaN: true }), fc.integer(), (raw, lr, seed) => {
        const dims = { ...raw, bias: 'encoder' as const };
        const { d, k } = dims;
        const x = Rng.seeded(seed).child('x').fillNormal(new Float64Array(d));
        const p = randomParams(dims, seed);
        fc.pre(!nearKink(dims, x, p));
        // The authors' parameter b' = √D·b, its gradient by central differences of the oracle.
        const f = oracleLoss(dims, x);
        const theirs = (q: Float64Array[]) =>
          f([q[0], q[1], Float64Array.from(q[2], (v) => v / Math.sqrt(d)), q[3]]);
        const bPrime = [p[0], p[1], Float64Array.from(p[2], (v) => v * Math.sqrt(d)), p[3]];
        const grad = numericGradient(theirs, bPrime, 2);
        const model = new ShallowAutoencoder(
          { ...dims, activation: dims.act, lr, precision: 'float64' },
          Rng.seeded(0),
        );
        loadModel(model, p);
        model.step(x, 0);
        for (let j = 0; j < k; j++) {
          const expected = (bPrime[2][j] - lr * grad[j]) / Math.sqrt(d);
          expect(Math.abs(model.b![j] - expected)).toBeLessThan(1e-7 * (1 + Math.abs(expected)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('names a bad bias placement, encoder-bias rate or tied gradient', () => {
    const base = { d: 4, k: 2, activation: 'relu' as const, tied: false, lr: 0.1 };
    expect(() => new ShallowAutoencoder({ ...base, bias: 'output' as ShallowBias }, Rng.seeded(0))).toThrow(
      /unknown bias 'output'; expected one of none, encoder, decoder, both/,
    );
    expect(() => new ShallowAutoencoder({ ...base, bias: 'both', encoderBiasLr: -1 }, Rng.seeded(0))).toThrow(
      /encoderBiasLr must be positive, got -1/,
    );
    expect(
      () =>
        new ShallowAutoencoder(
          { ...base, bias: 'none', tied: true, tiedGradient: 'decoder' as 'full' },
          Rng.seeded(0),
        ),
    ).toThrow(/unknown tiedGradient 'decoder'; expected one of full, encoder/);
  });

  it('fits its parameters and scratch in the SIMD memory at any size (D = 784, K = 16 with both biases overflowed it)', () => {
    for (const [d, k] of [
      [784, 16],
      [784, 32],
      [3000, 3],
      [5, 300],
    ]) {
      const m = new ShallowAutoencoder(
        { d, k, activation: 'erf', tied: false, bias: 'both', lr: 0.1 },
        Rng.seeded(0),
      );
      const x = Rng.seeded(1).fillNormal(new Float32Array(d));
      expect(Number.isFinite(m.step(x)), `D = ${d}, K = ${k}`).toBe(true);
      expect(m.c!.length).toBe(d);
    }
  });

  it('has exactly the parameters its placement names', () => {
    for (const bias of SHALLOW_BIASES) {
      const m = new ShallowAutoencoder(
        { d: 5, k: 2, activation: 'relu', tied: false, bias, lr: 0.1 },
        Rng.seeded(0),
      );
      expect([m.b?.length ?? 0, m.c?.length ?? 0]).toEqual([hasB({ bias }) ? 2 : 0, hasC({ bias }) ? 5 : 0]);
    }
  });
});
