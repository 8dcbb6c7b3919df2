import { describe, expect, it } from 'vitest';
import { pcaMseByRank } from '../plugins/studies/shallow-pca/data.ts';
import { learningCurveSpec, overlapMatrixSpec } from '../plugins/studies/shallow-pca/figures.ts';
import type { ShallowPcaResult, ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { fitPca } from '../src/analysis/pca.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { STORED_RUN_SCHEMA, type StoredRun } from '../src/experiment/study-kind.ts';
import { Rng } from '../src/tensor/rng.ts';

// Issue 23's "paper's own plots": the test error with the PCA-m lines for m = 1…K, and the K × K
// overlap matrices over time.

type Stored = StoredRun<ShallowPcaRun, ShallowPcaResult>;

function storedRun(
  k: number,
  steps: number[],
  overlapAt: (step: number, idx: number) => number | null,
): Stored {
  return {
    schema: STORED_RUN_SCHEMA,
    kind: 'shallow-pca',
    id: 'r',
    configHash: 'h',
    timing: { seconds: 1, startedAt: '', finishedAt: '' },
    config: {
      id: 'r',
      seed: 0,
      backend: 'simd',
      dataset: 'spiked',
      activation: 'erf',
      tied: false,
      bias: 'none',
      k,
      steps: steps.at(-1)!,
      lr: 0.1,
      initStd: 0.1,
      records: steps.length,
    },
    result: {
      pcaMse: 1,
      finalTestMse: 1,
      diverged: false,
      records: steps.map((step) => {
        const values = Array.from({ length: k * k }, (_, idx) => overlapAt(step, idx));
        return {
          step,
          testMse: 2,
          subspace: Array(k).fill(0.5),
          bestUnit: Array(k).fill(0.5),
          ...(values.every((v) => v !== null) ? { overlap: values as number[] } : {}),
        };
      }),
      finalOverlap: [],
      weights: null,
    },
  };
}

describe('shallow-pca: the PCA-m lines', () => {
  it('PCA-m test MSE equals a float64 projection oracle, falls with m and ends at PCA-K', () => {
    const n = 60;
    const d = 7;
    const rng = Rng.seeded(4);
    const train = rng.child('train').fillNormal(new Float32Array(n * d));
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) train[i * d + j] *= 1 + j; // a spread of variances
    const test = rng.child('test').fillNormal(new Float32Array(30 * d));
    const backend = referenceBackendFactory.create({});
    const pca = fitPca(train, n, d, 4, { backend });
    const byRank = pcaMseByRank(pca, test, 30, d, backend);
    expect(byRank).toHaveLength(4);
    for (let m = 1; m <= 4; m++) {
      // ‖x − μ‖² − Σ_{j ≤ m} ((x − μ)·u_j)², in float64.
      let sum = 0;
      for (let i = 0; i < 30; i++) {
        const c = Array.from({ length: d }, (_, q) => test[i * d + q] - pca.mean[q]);
        let rest = c.reduce((a, v) => a + v * v, 0);
        for (let j = 0; j < m; j++) {
          const p = c.reduce((a, v, q) => a + v * pca.components[j * d + q], 0);
          rest -= p * p;
        }
        sum += rest;
      }
      expect(byRank[m - 1]).toBeCloseTo(sum / (30 * d), 4);
      if (m > 1) expect(byRank[m - 1]).toBeLessThanOrEqual(byRank[m - 2] + 1e-6);
    }
  });

  it('draws a grey rule and a label for every m < K, none without the per-rank errors', () => {
    const run = storedRun(3, [0, 10, 100], () => 0.5);
    const layers = (spec: object) => (spec as { spec: { layer: { mark: { type: string } }[] } }).spec.layer;
    const withLines = layers(learningCurveSpec('d', [run], 0.5, 3, [4, 2, 0.5]));
    const rules = withLines.filter((l) => l.mark.type === 'rule');
    expect(
      rules.map((l) => (l as unknown as { encoding: { y: { datum: number } } }).encoding.y.datum),
    ).toEqual([0.5, 4, 2]);
    expect(withLines.filter((l) => l.mark.type === 'text')).toHaveLength(2);
    expect(layers(learningCurveSpec('d', [run], 0.5, 3)).filter((l) => l.mark.type === 'rule')).toHaveLength(
      1,
    );
  });

  it('says in the title whether the runs drew online or cycled a finite training set', () => {
    const title = (runs: Stored[]) =>
      (learningCurveSpec('d', runs, 0.5, 3) as { title: { text: string } }).title.text;
    const finite = storedRun(3, [0, 10, 100], () => 0.5);
    const online = { ...finite, config: { ...finite.config, online: true as const } };
    expect(title([finite])).toContain('cycling the training samples');
    expect(title([finite])).not.toContain('online');
    expect(title([online])).toContain('online: a fresh sample every step');
    expect(title([online, finite])).toContain('1 of 2 runs online');
  });
});

describe('shallow-pca: the overlap matrices over time', () => {
  it('shows at most six recorded steps, the first and last among them, with the recorded values', () => {
    const steps = [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000];
    const value = (step: number, idx: number) => (idx + 1) / 10 + step / 1e6;
    const spec = overlapMatrixSpec('d', storedRun(2, steps, value)) as {
      data: { values: { order: number; unit: string; component: string; value: number }[] };
    };
    const shown = [...new Set(spec.data.values.map((v) => v.order))];
    expect(shown.length).toBe(6);
    expect(shown[0]).toBe(1); // step 0 is the start, not drawn
    expect(shown.at(-1)).toBe(10000);
    for (const v of spec.data.values) {
      const unit = Number(v.unit.slice(2)) - 1;
      const component = Number(v.component.slice(3)) - 1;
      expect(v.value).toBe(value(v.order, unit * 2 + component));
    }
    expect(spec.data.values.filter((v) => v.order === 10000)).toHaveLength(4);
  });

  it('is absent for a run that kept no matrices', () => {
    expect(
      overlapMatrixSpec(
        'd',
        storedRun(2, [0, 10, 100], () => null),
      ),
    ).toBeNull();
  });
});
