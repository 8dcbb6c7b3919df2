import { describe, expect, it } from 'vitest';
import {
  SHALLOW_ACTIVATIONS,
  SHALLOW_BIASES,
  ShallowAutoencoder,
  type ShallowOptions,
  TIED_GRADIENTS,
} from '../src/shallow/model.ts';
import { Rng } from '../src/tensor/rng.ts';

// The fused K = 4 kernels (src/shallow/kernels-k4-wat.ts) promise the generic SIMD kernels' exact
// arithmetic: stored runs trained before them must come out again bit for bit. So every step's
// loss and every parameter's bits after many steps must equal the generic path's.

/** The float32 bits of a parameter buffer, for an exact comparison (NaN-safe, −0 ≠ +0). */
const bits = (buffer: Float32Array | Float64Array | null) =>
  buffer ? Array.from(new Uint32Array(new Float32Array(buffer).buffer)) : null;

/** Samples like the studies' (centred, unit-scale pixels), n × d, float32. */
function samples(n: number, d: number, seed: number): Float32Array {
  const x = new Float32Array(n * d);
  Rng.seeded(seed).fillNormal(x, 0, 1);
  return x;
}

const configurations: Array<Pick<ShallowOptions, 'activation' | 'tied' | 'tiedGradient' | 'bias'>> = [];
for (const activation of SHALLOW_ACTIVATIONS)
  for (const bias of SHALLOW_BIASES) {
    configurations.push({ activation, tied: false, bias });
    for (const tiedGradient of TIED_GRADIENTS)
      configurations.push({ activation, tied: true, tiedGradient, bias });
  }

describe('the fused K = 4 step', () => {
  it.each([
    [784, 0.1],
    [20, 0.5],
  ])(
    'leaves the generic kernels’ losses and weights bit for bit (D = %i, lr %f, every activation, tying and bias)',
    (d, lr) => {
      const x = samples(64, d, 7);
      for (const config of configurations) {
        const make = (fusedK4: boolean) =>
          new ShallowAutoencoder({ d, k: 4, lr, ...config, fusedK4 }, Rng.seeded(3).child('model'));
        const fused = make(true);
        const generic = make(false);
        expect([fused.stepPath, generic.stepPath]).toEqual(['fused-k4', 'simd']);
        // A nonzero start for the biases, so their terms are not all zeros.
        for (const m of [fused, generic]) {
          if (m.b) Rng.seeded(5).fillNormal(m.b, 0, 0.3);
          if (m.c) Rng.seeded(6).fillNormal(m.c, 0, 0.3);
        }
        const label = JSON.stringify(config);
        for (let step = 0; step < 400; step++) {
          const offset = (step % 64) * d;
          const a = fused.step(x, offset);
          const b = generic.step(x, offset);
          if (a !== b) expect.fail(`${label}: step ${step} loss ${a} (fused) ≠ ${b} (generic)`);
        }
        for (const name of ['w', 'v', 'b', 'c'] as const)
          expect(bits(fused[name]), `${label}: ${name}`).toEqual(bits(generic[name]));
        expect(fused.isFinite(), label).toBe(true);
      }
    },
  );

  it('is taken only where it applies: K = 4 with D a multiple of 4', () => {
    const path = (d: number, k: number, precision?: 'float64') =>
      new ShallowAutoencoder(
        { d, k, activation: 'erf', tied: true, bias: 'none', lr: 0.1, precision },
        Rng.seeded(1),
      ).stepPath;
    expect(path(784, 4)).toBe('fused-k4');
    expect(path(500, 4)).toBe('fused-k4');
    expect(path(10, 4)).toBe('simd');
    expect(path(784, 3)).toBe('simd');
    expect(path(784, 4, 'float64')).toBe('typescript');
  });
});
