import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paperScale } from '../plugins/studies/shallow-pca/data.ts';
import type { ShallowPcaResult, ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { realImageVerdict, summarize, verdicts } from '../plugins/studies/shallow-pca/verdicts.ts';
import type { ShallowBias } from '../src/shallow/model.ts';

// Constructed runs whose verdicts are known: the summaries and claims are functions of the
// final MSE / PCA ratios and of the steps at which each component's overlap crosses the threshold.

const TOL = 0.1;
const THRESHOLD = 0.5;
const STEPS = [0, 10, 100, 1000];

type Stored = { config: ShallowPcaRun; result: ShallowPcaResult };

/** Overlap series in which component m first reaches the threshold at STEPS[cross[m]] (never for null). */
function series(cross: (number | null)[]): number[][] {
  return STEPS.map((_, i) => cross.map((c) => (c !== null && i >= c ? 0.9 : 0.1)));
}

function run(
  dataset: string,
  activation: ShallowPcaRun['activation'],
  tied: boolean,
  bias: ShallowBias,
  seed: number,
  ratio: number | null,
  cross: (number | null)[] = [1, 2, 3],
): Stored {
  const pcaMse = 0.2;
  const subspace = series(cross);
  return {
    config: {
      id: `${dataset}-${activation}-${tied}-${bias}-${seed}`,
      seed,
      backend: 'simd',
      dataset,
      activation,
      tied,
      bias,
      k: cross.length,
      steps: STEPS.at(-1)!,
      lr: 1,
      initStd: 0.1,
      records: STEPS.length,
    },
    result: {
      pcaMse,
      finalTestMse: ratio === null ? null : ratio * pcaMse,
      diverged: ratio === null,
      records: STEPS.map((step, i) => ({
        step,
        testMse: pcaMse * 2,
        subspace: subspace[i],
        bestUnit: subspace[i],
      })),
      finalOverlap: [],
      weights: null,
    },
  };
}

/** The paper's picture, on two seeds: everything reaches PCA except erf tied and ReLU without biases. */
function paperWorld(dataset: string): Stored[] {
  const out: Stored[] = [];
  for (const seed of [1, 2]) {
    for (const tied of [true, false]) {
      for (const bias of ['none', 'encoder', 'both'] as const) {
        out.push(run(dataset, 'linear', tied, bias, seed, 1.01));
        out.push(run(dataset, 'erf', tied, bias, seed, tied ? 1.6 : 1.05));
        out.push(run(dataset, 'relu', tied, bias, seed, bias === 'none' ? 1.4 : 1.02));
      }
    }
  }
  return out;
}

const byClaim = (vs: ReturnType<typeof verdicts>, start: string) => {
  const found = vs.filter((v) => v.claim.startsWith(start));
  expect(found).toHaveLength(1);
  return found[0];
};

describe('shallow-pca summaries', () => {
  it('count a seed as reaching exactly when its ratio is ≤ 1 + tolerance, and a diverged run never', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0.5, max: 3, noNaN: true }), { nil: null }), {
          minLength: 1,
          maxLength: 6,
        }),
        (ratios) => {
          const runs = ratios.map((q, s) => run('d', 'erf', false, 'encoder', s, q));
          const [s] = summarize(runs, TOL, THRESHOLD);
          expect(s.seeds).toBe(ratios.length);
          s.ratios.forEach((q, i) => {
            const want = ratios[i];
            if (want === null) expect(q).toBe(Number.POSITIVE_INFINITY);
            else expect(q).toBeCloseTo(want, 12);
          });
          // An independent count: multiply back instead of dividing.
          const reaching = ratios.filter((q) => q !== null && q * 0.2 <= (1 + TOL) * 0.2 * (1 + 1e-12));
          expect(s.reached).toBe(reaching.length);
        },
      ),
    );
  });

  it('call a run ordered when the crossing steps do not decrease, and leave out runs where one never crosses', () => {
    const runs = [
      run('d', 'linear', true, 'none', 1, 1, [1, 2, 3]),
      run('d', 'linear', true, 'none', 2, 1, [1, 1, 3]), // a tie is in order
      run('d', 'linear', true, 'none', 3, 1, [2, 1, 3]), // PC 2 before PC 1
      run('d', 'linear', true, 'none', 4, 1, [1, null, 3]), // PC 2 never learned
    ];
    const [s] = summarize(runs, TOL, THRESHOLD);
    expect(s.allCrossed).toBe(3);
    expect(s.ordered).toBe(2);
  });

  it('group by data set and configuration', () => {
    const s = summarize([...paperWorld('a'), ...paperWorld('b')], TOL, THRESHOLD);
    expect(s).toHaveLength(2 * 3 * 2 * 3);
    for (const g of s) expect(g.seeds).toBe(2);
  });
});

describe('shallow-pca verdicts', () => {
  it('find every claim holding in a world built to the paper', () => {
    const vs = verdicts(summarize(paperWorld('a'), TOL, THRESHOLD), TOL, THRESHOLD);
    expect(vs).toHaveLength(6);
    for (const v of vs) expect({ claim: v.claim, holds: v.holds }).toEqual({ claim: v.claim, holds: true });
    // The evidence carries the numbers: e.g. erf tied at 1.600 on both seeds.
    expect(byClaim(vs, 'sigmoidal').evidence).toContain('erf-tied-nobias 0/2 (MSE/PCA 1.600, 1.600)');
  });

  it('turn exactly the claim whose numbers are broken', () => {
    const relu = (r: Stored, bias: ShallowBias) => r.config.activation === 'relu' && r.config.bias === bias;
    const cases: [(r: Stored) => boolean, number | null, string[]][] = [
      [(r) => r.config.activation === 'erf' && r.config.tied, 1.05, ['sigmoidal (erf) autoencoders']],
      [(r) => relu(r, 'none'), 1.0, ['ReLU autoencoders need']],
      [(r) => r.config.activation === 'linear' && r.config.seed === 2, 1.2, ['linear autoencoders reach']],
      // The untied erf runs are also the sigmoidal claim's "untied ones reach it".
      [
        (r) => r.config.activation === 'erf' && !r.config.tied,
        null,
        ['non-linear autoencoders reach', 'sigmoidal (erf) autoencoders'],
      ],
      // The encoder bias alone failing leaves the other claims to the encoder-and-output placement.
      [(r) => relu(r, 'encoder'), 2, ['ReLU autoencoders reach']],
      // No ReLU bias placement reaching breaks every ReLU claim and the untied non-linear one.
      [
        (r) => r.config.activation === 'relu' && r.config.bias !== 'none',
        2,
        ['non-linear autoencoders reach', 'ReLU autoencoders need', 'ReLU autoencoders reach'],
      ],
    ];
    for (const [which, ratio, expected] of cases) {
      const runs = paperWorld('a').map((r) =>
        which(r) ? run('a', r.config.activation, r.config.tied, r.config.bias, r.config.seed, ratio) : r,
      );
      const vs = verdicts(summarize(runs, TOL, THRESHOLD), TOL, THRESHOLD);
      const broken = vs.filter((v) => !v.holds).map((v) => v.claim.split(' ').slice(0, 3).join(' '));
      expect(broken).toEqual(expected);
    }
  });

  it('judge the ordering claim on the runs of configurations that reach the PCA error only', () => {
    const runs = paperWorld('a').map((r) =>
      // Out of order, but in a configuration that fails anyway: does not count.
      r.config.activation === 'erf' && r.config.tied
        ? run('a', 'erf', true, r.config.bias, r.config.seed, 1.6, [3, 2, 1])
        : r,
    );
    const ordering = () => byClaim(verdicts(summarize(runs, TOL, THRESHOLD), TOL, THRESHOLD), 'components');
    expect(ordering().holds).toBe(true);
    // Reaching: linear 3 placements × 2 weightings, erf untied 3, ReLU with biases 2 × 2; 2 seeds each.
    expect(ordering().evidence).toMatch(/^26\/26 runs in order/);
    runs[0] = run('a', 'linear', true, 'none', 1, 1.01, [2, 1, 3]);
    expect(ordering().holds).toBe(false);
    expect(ordering().evidence).toMatch(/^25\/26 runs in order/);
  });

  it('state no claim about a configuration the study did not run', () => {
    const onlyLinear = paperWorld('a').filter((r) => r.config.activation === 'linear');
    const claims = verdicts(summarize(onlyLinear, TOL, THRESHOLD), TOL, THRESHOLD).map(
      (v) => v.claim.split(' ')[0],
    );
    expect(claims).toEqual(['linear', 'components']);
  });

  it('judge a claim of two halves only when both ran (a partial grid with tied runs alone says nothing about untied ones)', () => {
    const judged = (keep: (r: Stored) => boolean) =>
      verdicts(summarize(paperWorld('a').filter(keep), TOL, THRESHOLD), TOL, THRESHOLD).map((v) =>
        v.claim.split(' ').slice(0, 3).join(' '),
      );
    // Tied runs only: tied erf fails, but no untied erf run shows that untied ones reach.
    expect(judged((r) => r.config.tied)).not.toContain('sigmoidal (erf) autoencoders');
    expect(judged((r) => !r.config.tied)).not.toContain('sigmoidal (erf) autoencoders');
    // ReLU with no biases alone, or with biases alone: "needs trainable biases" has one side.
    const reluWithout = (r: Stored) => r.config.activation !== 'relu' || r.config.bias === 'none';
    const reluWith = (r: Stored) => r.config.activation !== 'relu' || r.config.bias !== 'none';
    expect(judged(reluWithout)).not.toContain('ReLU autoencoders need');
    expect(judged(reluWith)).not.toContain('ReLU autoencoders need');
    // With both halves, both are judged (the filters above can fail).
    expect(judged(() => true)).toEqual(
      expect.arrayContaining(['sigmoidal (erf) autoencoders', 'ReLU autoencoders need']),
    );
  });
});

describe('the real-images verdict', () => {
  it('holds exactly when every claim has the same verdict on both data sets, and names those that differ', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (flips) => {
        const a = verdicts(summarize(paperWorld('syn'), TOL, THRESHOLD), TOL, THRESHOLD);
        const b = a.map((v, i) => ({ ...v, dataset: 'img', holds: flips[i] ? !v.holds : v.holds }));
        const r = realImageVerdict([...a, ...b], 'syn', 'img')!;
        const differ = flips.filter(Boolean).length;
        expect(r.holds).toBe(differ === 0);
        expect(r.evidence.startsWith(`${6 - differ}/6 verdicts agree`)).toBe(true);
        const named = differ === 0 ? [] : r.evidence.split('; differ: ')[1].split('; ');
        expect(named).toEqual(a.filter((_, i) => flips[i]).map((v) => v.claim.split(' (')[0]));
      }),
    );
    expect(realImageVerdict([], 'syn', 'img')).toBeNull();
  });
});

describe("the authors' image scaling", () => {
  it('gives the training pixels overall mean 0 and standard deviation 0.5, and maps test pixels by the same affine map', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 40 }),
        (v) => {
          fc.pre(Math.max(...v) - Math.min(...v) > 1e-3);
          const train = Float32Array.from(v);
          const test = Float32Array.from([0, 1]);
          const out = paperScale(train, test);
          const n = out.train.length;
          const mean = out.train.reduce((a, b) => a + b, 0) / n;
          const sd = Math.sqrt(out.train.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
          expect(Math.abs(mean)).toBeLessThan(1e-5);
          expect(sd).toBeCloseTo(0.5, 4);
          // Affine: the test pixel 1 sits (1 − 0)·scale above the test pixel 0, scale = 0.5/sd(train).
          const rawSd = Math.sqrt(
            v.reduce((a, b) => a + (b - v.reduce((x, y) => x + y, 0) / v.length) ** 2, 0) / v.length,
          );
          expect((out.test[1] - out.test[0]) / (0.5 / rawSd)).toBeCloseTo(1, 4);
        },
      ),
    );
  });
});
