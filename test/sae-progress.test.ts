import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runFraction, settlingMessage } from '../plugins/studies/sae/progress.ts';
import type { SaeResult } from '../plugins/studies/sae/run.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-sae-progress-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("an SAE run's progress fraction", () => {
  const shape = fc.record({
    stepsPerEpoch: fc.integer({ min: 1, max: 300 }),
    epochs: fc.integer({ min: 1, max: 60 }),
    extra: fc.integer({ min: 0, max: 150 }),
  });

  it('without settle: the steps done over the steps of `epochs`, 1 at the end', () => {
    fc.assert(
      fc.property(shape, fc.nat(), ({ stepsPerEpoch, epochs }, s) => {
        const total = stepsPerEpoch * epochs;
        const step = s % (total + 1);
        expect(runFraction(step, stepsPerEpoch, epochs, false)).toBeCloseTo(step / total, 12);
        expect(runFraction(total, stepsPerEpoch, epochs, false)).toBe(1);
      }),
    );
  });

  it('with settle: of the minimum length, never falling and never reaching 1, near 1 once the minimum is trained', () => {
    fc.assert(
      fc.property(shape, ({ stepsPerEpoch, epochs, extra }) => {
        const minimum = stepsPerEpoch * epochs;
        const last = minimum + extra * stepsPerEpoch;
        let previous = -1;
        for (let step = 0; step <= last; step += Math.max(1, Math.floor(stepsPerEpoch / 3))) {
          const f = runFraction(step, stepsPerEpoch, epochs, true);
          expect(f).toBeGreaterThanOrEqual(previous);
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThan(1);
          // Up to one epoch before the minimum, the same as a run without settle.
          if (step <= minimum - stepsPerEpoch) expect(f).toBeCloseTo(step / minimum, 12);
          previous = f;
        }
        // The minimum trained: at least epochs / (epochs + 1), not epochs / maxEpochs.
        expect(runFraction(minimum, stepsPerEpoch, epochs, true)).toBeGreaterThanOrEqual(
          epochs / (epochs + 1) - 1e-12,
        );
      }),
    );
  });
});

describe('a settling SAE run', () => {
  it('says so in the log once it trains past its epochs, and only then', async () => {
    const lines: string[] = [];
    const dir = join(root, 'settle');
    await runExperiment(
      {
        kind: 'sae',
        name: 'sae-settle-log',
        datasets: [
          {
            name: 'superposition',
            params: { height: 4, width: 4, features: 24, meanActive: 2, trainCount: 512, testCount: 128 },
            trainSamples: 512,
            evalSamples: 128,
          },
        ],
        latents: [32],
        k: [2],
        aux: [true, false],
        seeds: 2,
        epochs: 1,
        // A dead window of one batch, so the dead fraction moves; tolerance 0 under the range
        // rule, so any move over the tail trains on.
        deadSamples: 64,
        settle: { maxEpochs: 3, tolerance: 0, rule: 'range' },
        batchSize: 64,
        learningRate: 0.003,
        recordEvery: 4,
        outputs: { dir },
      },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES],
        progress: 'plain',
        workers: 1,
        cacheDir: join(root, 'cache'),
        log: (m) => lines.push(m),
      },
    );
    const runs = loadStudy([dir]).input.runs;
    const extended = runs.filter((r) => ((r.result as SaeResult).epochsTrained ?? 1) > 1).map((r) => r.id);
    expect(extended.length).toBeGreaterThan(0);
    const said = lines.filter((l) => l.includes(settlingMessage(1, 3))).map((l) => l.trim().split(':')[0]);
    expect(said.sort()).toEqual(extended.sort());
  });
});
