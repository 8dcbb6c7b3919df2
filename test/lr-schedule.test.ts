import fc from 'fast-check';
import { Adam, learningRateSchedule, Parameter, Sgd, Tensor } from 'nmfinit';
import { describe, expect, it } from 'vitest';

// Closed forms, written independently of src/optim/schedule.ts.
const warmupClosed = (t: number, n: number) => (t < n ? (t + 1) / n : 1);
const stepClosed = (t: number, every: number, f: number) => Math.exp(Math.log(f) * Math.floor(t / every));
// cos² form of the half-cosine: ½(1 + cos πu) = cos²(πu/2).
const cosineClosed = (t: number, steps: number, min: number) =>
  min + (1 - min) * Math.cos((Math.PI * Math.min(1, t / steps)) / 2) ** 2;

describe('learning-rate schedules', () => {
  it('linear warm-up then constant: (t + 1)/N for t < N, then 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 2000 }), (n, t) => {
        expect(learningRateSchedule({ warmupSteps: n })(t)).toBeCloseTo(warmupClosed(t, n), 12);
      }),
    );
  });

  it('step decay after warm-up: factor^floor((t − N)/every)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 3000 }),
        (n, every, factor, t) => {
          const f = learningRateSchedule({
            warmupSteps: n,
            decay: { name: 'step', everySteps: every, factor },
          });
          const want = t < n ? (t + 1) / n : stepClosed(t - n, every, factor);
          expect(f(t)).toBeCloseTo(want, 10);
        },
      ),
    );
  });

  it('cosine decay: from 1 down to minFactor over its steps, then flat; monotone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer({ min: 0, max: 3000 }),
        (steps, minFactor, t) => {
          const f = learningRateSchedule({ decay: { name: 'cosine', steps, minFactor } });
          expect(f(t)).toBeCloseTo(cosineClosed(t, steps, minFactor), 12);
          expect(f(t + 1)).toBeLessThanOrEqual(f(t) + 1e-15);
          expect(f(t)).toBeGreaterThanOrEqual(minFactor - 1e-15);
        },
      ),
    );
    const f = learningRateSchedule({ decay: { name: 'cosine', steps: 10, minFactor: 0.1 } });
    expect(f(0)).toBe(1);
    expect(f(10)).toBeCloseTo(0.1, 15);
  });

  it('rejects bad settings with the field named', () => {
    expect(() => learningRateSchedule({ warmupSteps: -1 })).toThrow(/warmupSteps/);
    expect(() => learningRateSchedule({ decay: { name: 'step', everySteps: 0, factor: 0.5 } })).toThrow(
      /everySteps/,
    );
    expect(() => learningRateSchedule({ decay: { name: 'cosine', steps: 5, minFactor: 1 } })).toThrow(
      /minFactor/,
    );
  });
});

const param = (name: string, values: number[]) =>
  new Parameter(
    name,
    new Tensor(Float32Array.from(values), [values.length]),
    new Tensor(new Float32Array(values.length), [values.length]),
  );

describe('optimizers under a schedule and group multipliers', () => {
  it('SGD: after T steps with constant gradient g, w = w0 − lr·m·g·Σ_t f(t)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (warmup, steps, m) => {
          const a = param('a', [1, -2]);
          const b = param('b', [0.5]);
          a.grad.data.set([0.25, -1]);
          b.grad.data.set([2]);
          const schedule = learningRateSchedule({ warmupSteps: warmup });
          const sgd = new Sgd({ learningRate: 0.1 }, undefined, { schedule, multipliers: new Map([[a, m]]) });
          for (let t = 0; t < steps; t++) sgd.step([a, b]);
          let sum = 0;
          for (let t = 0; t < steps; t++) sum += warmupClosed(t, warmup);
          expect(a.value.data[0]).toBeCloseTo(Math.fround(1 - 0.1 * m * 0.25 * sum), 4);
          expect(a.value.data[1]).toBeCloseTo(-2 + 0.1 * m * sum, 4);
          expect(b.value.data[0]).toBeCloseTo(0.5 - 0.1 * 2 * sum, 4); // not in a group: multiplier 1
        },
      ),
    );
  });

  it('Adam: the first step moves each weight by lr·f(0)·m (Adam’s first step is lr·sign(g) up to ε)', () => {
    const a = param('a', [0, 0, 0]);
    const b = param('b', [0]);
    a.grad.data.set([1, -3, 0.5]);
    b.grad.data.set([2]);
    const adam = new Adam({ learningRate: 0.01, epsilon: 1e-12 }, undefined, {
      schedule: learningRateSchedule({ warmupSteps: 4 }),
      multipliers: new Map([[b, 0]]),
    });
    expect(adam.currentLearningRate).toBeCloseTo(0.0025, 12);
    adam.step([a, b]);
    expect(Array.from(a.value.data)).toEqual([-0.0025, 0.0025, -0.0025].map((v) => expect.closeTo(v, 6)));
    expect(b.value.data[0]).toBe(0); // multiplier 0 freezes the group
    expect(adam.currentLearningRate).toBeCloseTo(0.005, 12);
  });
});
