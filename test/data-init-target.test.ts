import { describe, expect, it } from 'vitest';
import { type Curves, targetVerdict as section } from '../plugins/studies/autoencoder-init/target.ts';
import { markdownBlock } from '../src/report/markdown.ts';

/** The target's section as the Markdown report prints it. */
const targetVerdict = (...args: Parameters<typeof section>) => {
  const s = section(...args);
  return [`### ${s.title}`, ...s.blocks.flatMap(markdownBlock)];
};

// Curves by seed: a candidate far below a baseline everywhere meets the target; one that is not
// below the baseline's epoch-10 loss at epoch 0 does not.
const curve = (start: number, slope: number, seed: number) =>
  Array.from({ length: 11 }, (_, e) => start - slope * e + 0.001 * ((seed * 7) % 5));

function curves(candidateStart: number): Curves {
  const byInit = () =>
    new Map([
      ['base', new Map(Array.from({ length: 6 }, (_, s) => [s, curve(0.3, 0.02, s)] as [number, number[]]))],
      [
        'cand',
        new Map(
          Array.from({ length: 6 }, (_, s) => [s, curve(candidateStart, 0.001, s + 1)] as [number, number[]]),
        ),
      ],
    ]);
  return new Map([
    ['a', byInit()],
    ['b', byInit()],
  ]);
}

describe('targetVerdict', () => {
  const target = { dataset: 'a', baselines: ['base'], referenceEpoch: 10, alpha: 0.01 };
  it('is met when the candidate starts below the baseline at epoch 10 and stays best with small p', () => {
    const md = targetVerdict(target, curves(0.05), [1, 2, 5, 10], 'test').join('\n');
    expect(md).toMatch(/\*\*cand\*\*.*target \*\*met\*\*/);
    expect(md).toMatch(/The target is met by cand/);
  });
  it('is not met when the epoch-0 loss is above the baseline’s epoch-10 loss', () => {
    const md = targetVerdict(target, curves(0.12), [1, 2, 5, 10], 'test').join('\n');
    expect(md).toMatch(/epoch 0 on a 0\.12\d* ≥ 0\.1/);
    expect(md).toMatch(/No candidate meets the target/);
  });
  it('says when the runs are too short to judge', () => {
    const md = targetVerdict({ ...target, referenceEpoch: 20 }, curves(0.05), [1], 'test').join('\n');
    expect(md).toMatch(/Not judged: the runs end at epoch 10/);
  });
});
