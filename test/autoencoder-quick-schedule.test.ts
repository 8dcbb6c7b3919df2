// `--quick` on an autoencoder study scales its warm-ups: data-init's 80-update warm-up in a
// 400-update run must not stay 80 in a 30-update quick run, where it would never finish.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spec as dataInit } from '../experiments/data-init.ts';
import { quickSpec } from '../plugins/studies/autoencoder-init/grid.ts';
import { longestRunUpdates, scaledWarmup } from '../plugins/studies/autoencoder-init/quick-schedule.ts';
import type { AutoencoderSpecInput } from '../plugins/studies/autoencoder-init/spec.ts';

const warmupOf = (s: AutoencoderSpecInput, label: string) =>
  s.grid?.recipes?.find((r) => r.label === label)?.training?.schedule?.warmupSteps;

describe('quickSpec scales warm-ups to the quick run', () => {
  it("data-init --quick: the warmup recipe's 80 of 400 updates become 6 of 30, and the warm-up ends", () => {
    // The experiment file's spec as a user's raw input (JSON, as a spec file would give it).
    const raw: AutoencoderSpecInput = JSON.parse(JSON.stringify(dataInit));
    // By hand: 3,000 samples, the last 0.33 held out → 2,009 training rows (Keras' split), batch 256
    // → 8 batches an epoch, × 50 epochs = 400 updates; quick: 2,000 → 1,340 rows → 6 × 5 epochs = 30.
    expect(longestRunUpdates(raw, { batchSize: 256 })).toBe(400);
    const quick = quickSpec(raw);
    expect(longestRunUpdates(quick, { batchSize: 256 })).toBe(30);
    expect(warmupOf(raw, 'warmup')).toBe(80);
    expect(warmupOf(quick, 'warmup')).toBe(6); // round(80 · 30 / 400)
    expect(warmupOf(quick, 'warmup')!).toBeLessThan(30);
    // The seed recipe has no warm-up and gets none; the full spec is left as it was.
    expect(warmupOf(quick, 'seed')).toBeUndefined();
    expect(dataInit.grid.recipes[1].training.schedule?.warmupSteps).toBe(80);
  });

  it("scales the spec's own training schedule too, and caps it where the full length is unknown ('all')", () => {
    const base = {
      name: 'w',
      model: { sizes: [784, 32, 784] },
      outputs: { dir: 'unused' },
      datasets: [{ name: 'mnist' }],
      initializers: [{ name: 'he-normal' }],
      training: { batchSize: 100, schedule: { warmupSteps: 500 } },
    };
    const known = quickSpec({ ...base, grid: { samples: [{ count: 6000, seeds: 1 }], epochs: [20] } });
    // Full: 6,000 → 4,020 rows → 41 batches × 20 = 820 updates; quick: 1,340 → 14 × 5 = 70.
    expect(known.training?.schedule?.warmupSteps).toBe(Math.round((500 * 70) / 820));
    const all = quickSpec({ ...base, grid: { samples: [{ count: 'all', seeds: 1 }], epochs: [20] } });
    expect(all.training?.schedule?.warmupSteps).toBe(70);
  });

  it('keeps the warm-up share of the run: at least 1 update, never more than the quick run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (steps, full, quick) => {
          const s = scaledWarmup(steps, full, quick);
          if (steps === 0) {
            expect(s).toBe(0);
            return;
          }
          expect(s).toBeGreaterThanOrEqual(1);
          expect(s).toBeLessThanOrEqual(quick);
          // Within half an update of the exact share (where the floor of 1 and the cap allow).
          const exact = (steps * quick) / full;
          if (exact >= 1 && exact <= quick) expect(Math.abs(s - exact)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});
