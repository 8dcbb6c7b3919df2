import { describe, expect, it } from 'vitest';
import {
  type Curves,
  targetVerdict as section,
  targetSpec,
} from '../plugins/studies/autoencoder-init/target.ts';
import { markdownBlock } from '../src/report/markdown.ts';

/** The target's section as the Markdown report prints it. */
const targetVerdict = (...args: Parameters<typeof section>) => {
  const s = section(...args);
  return [`### ${s.title}`, ...s.blocks.flatMap(markdownBlock)].join('\n');
};

// Curves by seed: a candidate far below a baseline everywhere meets the target; one that is not
// below the baseline's epoch-10 loss at epoch 0 does not.
const curve = (start: number, slope: number, seed: number) =>
  Array.from({ length: 11 }, (_, e) => start - slope * e + 0.001 * ((seed * 7) % 5));

function curves(candidateStart: number, seeds = 6, candidateSlope = 0.001): Curves {
  const byInit = () =>
    new Map([
      [
        'base',
        new Map(Array.from({ length: seeds }, (_, s) => [s, curve(0.3, 0.02, s)] as [number, number[]])),
      ],
      [
        'cand',
        new Map(
          Array.from(
            { length: seeds },
            (_, s) => [s, curve(candidateStart, candidateSlope, s + 1)] as [number, number[]],
          ),
        ),
      ],
    ]);
  return new Map([
    ['a', byInit()],
    ['b', byInit()],
  ]);
}

const pcaAt = (v: number) =>
  new Map([
    ['a', { rank: 32, valMse: v }],
    ['b', { rank: 32, valMse: v }],
  ]);

describe('targetVerdict', () => {
  const target = targetSpec.parse({ dataset: 'a', baselines: ['base'], referenceEpoch: 10, alpha: 0.01 });
  it('is met when the candidate starts below the baseline at epoch 10 and stays best with small p', () => {
    const md = targetVerdict(target, curves(0.05), [1, 2, 5, 10], 'test');
    expect(md).toMatch(/\*\*cand\*\* — target \*\*met\*\*/);
    expect(md).toMatch(/The target is met by cand/);
  });
  it('is not met when the epoch-0 loss is above the baseline’s epoch-10 loss', () => {
    const md = targetVerdict(target, curves(0.12), [1, 2, 5, 10], 'test');
    expect(md).toMatch(/Epoch 0 against the baselines: a 0\.12\d* ≥ 0\.1/);
    expect(md).toMatch(/No candidate meets the target/);
  });
  it('says when the runs are too short to judge', () => {
    const md = targetVerdict({ ...target, referenceEpoch: 20 }, curves(0.05), [1], 'test');
    expect(md).toMatch(/Not judged: the runs end at epoch 10/);
  });

  it('judges the start against the PCA error on every data set', () => {
    const pcaTarget = { ...target, referenceEpoch: null, startAtOrBelowPca: true };
    // The candidate's epoch 0 is 0.05 + a seed offset ≤ 0.004: at or below 0.06, above 0.04.
    const met = targetVerdict(pcaTarget, curves(0.05), [1, 10], 'test', pcaAt(0.06));
    expect(met).toMatch(/Epoch 0 against PCA: a 0\.05\d* ≤ PCA-32 0\.06.* — met/);
    expect(met).toMatch(/The target is met by cand/);
    const missed = targetVerdict(pcaTarget, curves(0.05), [1, 10], 'test', pcaAt(0.04));
    expect(missed).toMatch(/a 0\.05\d* > PCA-32 0\.04/);
    expect(missed).toMatch(/No candidate meets the target/);
    // Without a reference for a data set it refuses to judge rather than pass.
    const none = targetVerdict(pcaTarget, curves(0.05), [1, 10], 'test', new Map());
    expect(none).toMatch(/Not judged: no PCA reference for a, b/);
  });

  it('judges the improvement on its own start at the last epoch, and says by how much it misses', () => {
    // Slope 0.001 over 10 epochs from ~0.052: about 19% below the start.
    const t = { ...target, referenceEpoch: null, improveOnStart: 0.1 };
    const met = targetVerdict(t, curves(0.05), [1, 10], 'test');
    expect(met).toMatch(/Epoch 10 against its own start: a 0\.05\d* → 0\.04\d*, 1\d\.\d\d% below;.* — met/);
    const missed = targetVerdict({ ...t, improveOnStart: 0.3 }, curves(0.05), [1, 10], 'test');
    expect(missed).toMatch(/1\d\.\d\d% below, 1\d\.\d\d points short/);
    expect(missed).toMatch(/No candidate meets the target/);
  });

  it('with fewer than 5 paired seeds the paired condition is not judged, not missed', () => {
    const t = { ...target, referenceEpoch: null };
    const md = targetVerdict(t, curves(0.05, 3), [1, 10], 'test');
    expect(md).toMatch(/fewer than 5 paired seeds at 4: .*\(3 pairs\)/);
    expect(md).toMatch(/target not judged\./);
    expect(md).toMatch(/The target is not judged for cand/);
    expect(md).not.toMatch(/No candidate meets/);
  });

  it('judged by the means, 3 seeds suffice; a higher mean is still a miss', () => {
    const t = { ...target, referenceEpoch: null, best: 'mean' as const };
    const met = targetVerdict(t, curves(0.05, 3), [1, 10], 'test');
    expect(met).toMatch(/The lowest mean at every reported epoch on every data set: .*df 2/);
    expect(met).toMatch(/The target is met by cand/);
    // A candidate at 0.3 with a flat slope is above the baseline (0.3 − 0.02·e) from epoch 1.
    const missed = targetVerdict(t, curves(0.3, 3, 0), [1, 10], 'test');
    expect(missed).toMatch(/Not best by the means at 4 epoch\(s\)/);
    expect(missed).toMatch(/No candidate meets the target/);
  });
});
