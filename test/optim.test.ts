import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Parameter } from '../src/autodiff/tape.ts';
import { Adam } from '../src/optim/adam.ts';
import { Sgd } from '../src/optim/sgd.ts';
import { Tensor } from '../src/tensor/tensor.ts';

const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

describe('Adam', () => {
  it('has the Keras defaults', () => {
    expect(new Adam().config()).toEqual({
      name: 'adam',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
  });

  it('two steps equal Kingma & Ba with the ε̂ form, computed by hand in float64', () => {
    fc.assert(
      fc.property(finite(-2, 2), finite(-1, 1), finite(-1, 1), finite(1e-4, 1e-1), (w0, g1, g2, lr) => {
        const p = new Parameter('w', Tensor.from([w0], [1]));
        const adam = new Adam({ learningRate: lr });
        // By hand: m_t = β1 m + (1 − β1) g; v_t = β2 v + (1 − β2) g²; α_t = lr √(1 − β2ᵗ) / (1 − β1ᵗ);
        // w ← w − α_t m_t / (√v_t + ε).
        let w = Math.fround(w0);
        let m = 0;
        let v = 0;
        for (const [t, g] of [
          [1, g1],
          [2, g2],
        ]) {
          p.grad.data[0] = g;
          adam.step([p]);
          const gf = Math.fround(g);
          m = 0.9 * m + 0.1 * gf;
          v = 0.999 * v + 0.001 * gf * gf;
          const alpha = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
          w -= (alpha * m) / (Math.sqrt(v) + 1e-7);
          // float32 storage of w, m, v: relative error a few ulps of the step and of w.
          expect(Math.abs(p.value.data[0] - w)).toBeLessThanOrEqual(1e-6 * Math.abs(w) + 1e-6 * lr + 1e-12);
        }
        expect(adam.iterations).toBe(2);
      }),
    );
  });

  it('the first step moves each weight by about lr against the gradient sign', () => {
    const p = new Parameter('w', Tensor.from([0, 0, 0], [3]));
    p.grad.data.set([3, -0.5, 0.1]);
    new Adam({ learningRate: 0.01 }).step([p]);
    // m̂/√v̂ = g/|g| on the first step (up to ε), so every entry moves by lr.
    expect([...p.value.data].map((x) => Number(x.toFixed(5)))).toEqual([-0.01, 0.01, -0.01]);
  });

  it('rejects bad hyper-parameters, naming them', () => {
    expect(() => new Adam({ learningRate: 0 })).toThrow(/learningRate/);
    expect(() => new Adam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => new Adam({ beta2: -0.1 })).toThrow(/beta2/);
    expect(() => new Adam({ epsilon: Number.NaN })).toThrow(/epsilon/);
  });
});

describe('SGD with momentum', () => {
  it('one step equals v ← μv − lr·g; w ← w + v (and the Nesterov form)', () => {
    fc.assert(
      fc.property(
        finite(-2, 2),
        finite(-1, 1),
        finite(-1, 1),
        finite(0, 0.99),
        fc.boolean(),
        (w0, g1, g2, mu, nesterov) => {
          const p = new Parameter('w', Tensor.from([w0], [1]));
          const sgd = new Sgd({ learningRate: 0.1, momentum: mu, nesterov });
          let w = Math.fround(w0);
          let v = 0;
          for (const g of [g1, g2]) {
            p.grad.data[0] = g;
            sgd.step([p]);
            const gf = Math.fround(g);
            v = mu * v - 0.1 * gf;
            w += nesterov ? mu * v - 0.1 * gf : v;
            expect(Math.abs(p.value.data[0] - w)).toBeLessThanOrEqual(1e-6 * (Math.abs(w) + 1));
          }
        },
      ),
    );
  });
});

describe('both optimizers converge on a convex quadratic', () => {
  // f(w) = ½ Σ a_i (w_i − c_i)², ∇f = a ⊙ (w − c), minimum at c.
  const problem = fc.tuple(
    fc.array(finite(0.5, 4), { minLength: 1, maxLength: 8 }),
    fc.array(finite(-3, 3), { minLength: 8, maxLength: 8 }),
  );
  const run = (a: number[], c: number[], make: () => Adam | Sgd, steps: number) => {
    const p = new Parameter('w', Tensor.zeros([a.length]));
    const opt = make();
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < a.length; i++) p.grad.data[i] = a[i] * (p.value.data[i] - c[i]);
      opt.step([p]);
    }
    return Math.max(...a.map((_, i) => Math.abs(p.value.data[i] - Math.fround(c[i]))));
  };

  it('Adam', () => {
    // With a constant rate Adam does not settle on the minimum: its normalised step keeps it
    // circling in a neighbourhood that scales with the rate (fast-check found 0.0102 at rate 0.05
    // for a = [0.5, 0.5, 3.39, 0.5]). The law: within half a step of c, from up to 3 away.
    const learningRate = 0.05;
    fc.assert(
      fc.property(problem, ([a, c]) => {
        expect(run(a, c, () => new Adam({ learningRate }), 3000)).toBeLessThan(learningRate / 2);
      }),
      { numRuns: 30 },
    );
  });

  it('SGD with momentum', () => {
    fc.assert(
      fc.property(problem, ([a, c]) => {
        expect(run(a, c, () => new Sgd({ learningRate: 0.1, momentum: 0.9 }), 600)).toBeLessThan(1e-4);
      }),
      { numRuns: 30 },
    );
  });
});
