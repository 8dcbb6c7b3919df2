// Verdicts from constructed curves whose answer is known: the best, the margin, the pairing by
// seed, the epochs reported, and the claim's status.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED_CLAIM } from '../plugins/studies/autoencoder-init/claim.ts';
import { MIN_PAIRED_SEEDS, pairedT, welchT } from '../src/report/stats.ts';
import {
  claimSummaryMarkdown as summary,
  type VerdictInput,
  resultSetVerdict as verdictOf,
} from '../src/report/verdict.ts';
import { claimJson, claimToJson, verdictJson, verdictToJson } from '../src/report/verdict-json.ts';

/** The verdict on the seed's claim about 'nmf', unless the input names another subject. */
const resultSetVerdict = (input: Omit<VerdictInput, 'claim' | 'subject'> & { subject?: string }) =>
  verdictOf({ claim: SEED_CLAIM.statement, subject: 'nmf', ...input });
const claimSummaryMarkdown = (verdicts: Parameters<typeof summary>[1]) => summary(SEED_CLAIM, verdicts);

/** A curve over epochs 0..E whose value at epoch e is f(e). */
const curve = (epochs: number, f: (e: number) => number) =>
  Array.from({ length: epochs + 1 }, (_, e) => f(e));
/** Seeds '0'..'n−1', each with curve level(seed)·decay. */
function curves(seeds: number, epochs: number, level: (seed: number, epoch: number) => number) {
  return Object.fromEntries(
    Array.from({ length: seeds }, (_, s) => [String(s), curve(epochs, (e) => level(s, e))]),
  );
}
const noise = (s: number) => 0.001 * ((s * 7919) % 11); // deterministic, different per seed

describe('resultSetVerdict', () => {
  it('names the best at each epoch, its margin over the runner-up and the paired p-value', () => {
    const v = resultSetVerdict({
      resultSet: 'set A',
      curves: {
        nmf: curves(5, 50, (s, e) => 0.2 / (1 + e) + noise(s)),
        'he-normal': curves(5, 50, (s, e) => 0.3 / (1 + e) + noise(s) + 0.0001 * s),
        'glorot-normal': curves(5, 50, (s, e) => 0.5 / (1 + e) + noise(s)),
      },
    });
    expect(v.epochs.map((e) => e.epoch)).toEqual([1, 2, 5, 10, 50]);
    for (const e of v.epochs) {
      expect([e.best, e.runnerUp]).toEqual(['nmf', 'he-normal']);
      const expected = 0.1 / (1 + e.epoch) + 0.0001 * 2; // mean of 0.0001·s over s = 0..4
      expect(e.margin.absolute).toBeCloseTo(expected, 12);
      expect(e.margin.relative).toBeCloseTo(expected / e.ranking[1].mean, 12);
      const x = [0, 1, 2, 3, 4].map((s) => 0.2 / (1 + e.epoch) + noise(s));
      const y = [0, 1, 2, 3, 4].map((s) => 0.3 / (1 + e.epoch) + noise(s) + 0.0001 * s);
      expect(e.pValue).toBe(pairedT(x, y).pValue);
      expect(e.significant).toEqual({ at05: true, at01: true });
      // Each initializer against its best other: the best against the runner-up, the rest against the best.
      expect(e.comparisons.map((c) => [c.label, c.versus])).toEqual([
        ['nmf', 'he-normal'],
        ['he-normal', 'nmf'],
        ['glorot-normal', 'nmf'],
      ]);
      expect(e.sentence).toContain(`epoch ${e.epoch}: **nmf** has the lowest validation loss`);
      expect(e.sentence).toContain('significant at 0.01');
    }
    expect(v.claim.status).toBe('supported');
    expect(v.claim.claim).toBe(SEED_CLAIM.statement);
    expect(v.claim.epochs.map((e) => e.epoch)).toEqual([1, 2, 5, 10]);
    expect(v.markdown).toContain('the claim is **supported**');
  });

  it('pairs by seed, not by position: a constant per-seed gap is significant however wide the seeds spread', () => {
    const spread = (s: number) => 0.05 * s; // seeds differ by far more than the gap
    // The same seeds, listed in another order (non-numeric keys keep insertion order).
    const named = (c: Record<string, number[]>) =>
      Object.entries(c).map(([s, v]) => [`seed${s}`, v] as const);
    const a = Object.fromEntries(named(curves(6, 10, (s) => 0.1 + spread(s))));
    const b = Object.fromEntries(
      named(curves(6, 10, (s) => 0.1 + spread(s) + 0.002 + 0.0001 * (s % 2))).reverse(),
    );
    expect(Object.keys(b)[0]).toBe('seed5');
    const v = resultSetVerdict({ resultSet: 's', curves: { a, b }, subject: 'a' });
    const at1 = v.epochs[0];
    expect(at1.best).toBe('a');
    expect(at1.pValue).toBeLessThan(1e-4);
    // Unpaired, the same numbers say nothing.
    const x = Object.values(a).map((c) => c[1]);
    const y = Object.keys(a).map((seed) => b[seed][1]);
    expect(welchT(x, y).pValue).toBeGreaterThan(0.9);
  });

  it('reports only epochs the curves reach, never epoch 0, whatever the initial losses', () => {
    const v = resultSetVerdict({
      resultSet: 's',
      curves: {
        nmf: curves(5, 10, (s, e) => (e === 0 ? 0.001 : 0.5) + noise(s)),
        he: curves(5, 10, (s, e) => (e === 0 ? 0.9 : 0.1) + noise(s)),
      },
    });
    expect(v.epochs.map((e) => e.epoch)).toEqual([1, 2, 5, 10]);
    expect(v.markdown).not.toMatch(/epoch 0\b/);
    expect(v.epochs.every((e) => e.best === 'he')).toBe(true);
    expect(v.claim.status).toBe('contradicted');
    expect(v.claim.sentence).toContain('the claim is **not supported**');
    expect(v.claim.sentence).toMatch(/significantly behind at epoch 1 \(he better, p [=<] /);
  });

  it('calls the claim inconclusive when the subject is best but not significantly, or with one seed', () => {
    const wobble = (s: number) => [0.003, -0.002, 0.001, -0.003, 0.0025][s];
    const close = resultSetVerdict({
      resultSet: 's',
      curves: {
        nmf: curves(5, 5, (s) => 0.1 + wobble(s)),
        he: curves(5, 5, (s) => 0.1002 + wobble(4 - s)),
      },
    });
    expect(close.epochs.every((e) => e.best === 'nmf' && !e.significant.at05)).toBe(true);
    expect(close.claim.status).toBe('inconclusive');
    expect(close.epochs[0].sentence).toContain('not significant at 0.05');
    // Not backed by the test, so not bold: neither in the sentence nor in the p-value table.
    expect(close.epochs[0].sentence).toContain('epoch 1: nmf has the lowest validation loss');
    expect(close.markdown).not.toContain('**best**');
    expect(close.markdown).toContain('| nmf | lowest mean, ');

    const single = resultSetVerdict({
      resultSet: 'one seed',
      curves: { nmf: curves(1, 10, () => 0.1), he: curves(1, 10, () => 0.2) },
    });
    expect(single.epochs[0].pValue).toBeNull();
    expect(single.epochs[0].sentence).toContain('too few paired seeds for a test');
    // One seed is no evidence either way: the claim is untested, not "not significantly different".
    expect(single.claim.status).toBe('untested');
    expect(single.claim.epochs.every((e) => e.outcome === 'untested' && e.pValue === null)).toBe(true);
    expect(single.claim.sentence).toContain('the claim is **not tested**');
    expect(single.claim.sentence).toBe(
      'one seed: the claim is **not tested**: fewer than 5 paired seeds, so no judged p-value at epoch 1, 2, 5, 10.',
    );
    // No p-value anywhere: no table of "n/a".
    expect(single.markdown).not.toContain('| initializer |');
    expect(claimSummaryMarkdown([single])).toContain(
      'Not tested: 1 result set with fewer than 5 paired seeds, so no judged p-values.',
    );
    expect(single.claim.sentence).not.toContain('not significantly different');
  });

  it('judges nothing below MIN_PAIRED_SEEDS paired seeds: p is printed with its df, never bold', () => {
    // The same clear gap (nmf 0.1 below he at every seed), over 2, 3, 4 and then 5 seeds.
    const gap = (n: number) =>
      resultSetVerdict({
        resultSet: `${n} seeds`,
        curves: { nmf: curves(n, 2, (s) => 0.1 + noise(s)), he: curves(n, 2, (s) => 0.2 + 2 * noise(s)) },
      });
    for (let n = 2; n < MIN_PAIRED_SEEDS; n++) {
      const v = gap(n);
      const e = v.epochs[0];
      expect(e.best).toBe('nmf');
      expect(e.pValue).toBeLessThan(0.05); // the test alone would call it…
      expect(e.significant).toEqual({ at05: false, at01: false }); // …but n seeds are too few
      expect(e.sentence).toContain(`with ${n - 1} degree${n === 2 ? '' : 's'} of freedom, not judged`);
      expect(v.markdown).not.toContain('**nmf**');
      expect(v.markdown).not.toContain('**best**');
      expect(v.markdown).toContain(`, df ${n - 1} (he)`);
      expect(v.claim.status).toBe('untested');
    }
    const enough = gap(MIN_PAIRED_SEEDS);
    expect(enough.epochs[0].significant.at05).toBe(true);
    expect(enough.markdown).toContain('**nmf**');
    expect(enough.markdown).toContain('**best**');
    expect(enough.markdown).not.toContain(', df ');
    expect(enough.claim.status).toBe('supported');
  });

  it("judges the claim against the rivals only: an ablation's own variants do not count against it", () => {
    const ablation = {
      nmf: curves(5, 10, (s) => 0.1 + noise(s)),
      'nmf-zero-bias': curves(5, 10, (s) => 0.05 + noise(s)), // a variant, better than nmf
      he: curves(5, 10, (s) => 0.2 + noise(s)),
    };
    const v = resultSetVerdict({ resultSet: 'ablation', curves: ablation, rivals: ['he'] });
    // The per-epoch verdict still names the variant best…
    expect(v.epochs.every((e) => e.best === 'nmf-zero-bias')).toBe(true);
    // …but the claim compares nmf with he alone, and says so.
    expect(v.claim.status).toBe('supported');
    expect(v.claim.rivals).toEqual(['he']);
    expect(v.claim.epochs.every((e) => e.versus === 'he' && e.outcome === 'best')).toBe(true);
    expect(v.claim.sentence).toContain('Judged against he only.');
    // Against every other initializer (the default), the better variant contradicts it.
    const all = resultSetVerdict({ resultSet: 'ablation', curves: ablation });
    expect(all.claim.status).toBe('contradicted');
    expect(all.claim.sentence).not.toContain('Judged against');
    const two = { nmf: curves(2, 1, () => 1), he: curves(2, 1, () => 2) };
    expect(() => resultSetVerdict({ resultSet: 'x', curves: two, rivals: ['glorot'] })).toThrow(
      /rival 'glorot' is not among the curves/,
    );
  });

  it('leaves diverged (non-finite) values out of the means and the pairs', () => {
    const a = curves(4, 2, (s) => 0.1 + noise(s));
    a['3'] = [0.1, Number.NaN, Number.NaN];
    const v = resultSetVerdict({ resultSet: 's', curves: { a, b: curves(4, 2, (s) => 0.2 + noise(s)) } });
    expect(v.epochs[0].ranking[0]).toMatchObject({ label: 'a', seeds: ['0', '1', '2'] });
    expect(v.epochs[0].comparisons[0].pairedSeeds).toEqual(['0', '1', '2']);
    expect(v.epochs[0].ranking[0].mean).toBeCloseTo(0.1 + (noise(0) + noise(1) + noise(2)) / 3, 12);
  });

  it('says when the claim has no subject here, and needs two initializers', () => {
    const v = resultSetVerdict({
      resultSet: 's',
      curves: { a: curves(3, 1, () => 1), b: curves(3, 1, () => 2) },
    });
    expect(v.claim.status).toBe('not-applicable');
    expect(() => resultSetVerdict({ resultSet: 'lonely', curves: { a: curves(3, 1, () => 1) } })).toThrow(
      /lonely.*at least two initializers, got 1/,
    );
  });

  it('keeps its laws on any curves: the best has the lowest mean, margins ≥ 0, p in [0, 1]', () => {
    const level = fc.integer({ min: 1, max: 1000 }).map((v) => v / 1000);
    const initializerCurves = fc.array(fc.array(level, { minLength: 6, maxLength: 6 }), {
      minLength: 3,
      maxLength: 3,
    });
    fc.assert(
      fc.property(fc.array(initializerCurves, { minLength: 2, maxLength: 4 }), (inits) => {
        const input = Object.fromEntries(
          inits.map((seeds, i) => [`init${i}`, Object.fromEntries(seeds.map((c, s) => [String(s), c]))]),
        );
        const v = resultSetVerdict({ resultSet: 'p', curves: input });
        expect(v.epochs.map((e) => e.epoch)).toEqual([1, 2, 5]);
        for (const e of v.epochs) {
          const means = e.ranking.map((r) => r.mean);
          expect(Math.min(...means)).toBe(e.ranking[0].mean);
          expect(e.best).toBe(e.ranking[0].label);
          expect(e.margin.absolute).toBeGreaterThanOrEqual(0);
          for (const c of e.comparisons) {
            expect(c.pValue).toBeGreaterThanOrEqual(0);
            expect(c.pValue).toBeLessThanOrEqual(1);
            expect(c.versus).not.toBe(c.label);
          }
          if (e.significant.at01) expect(e.significant.at05).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('sums the claim up over result sets', () => {
    const make = (name: string, nmfLevel: number) =>
      resultSetVerdict({
        resultSet: name,
        curves: { nmf: curves(5, 10, (s) => nmfLevel + noise(s)), he: curves(5, 10, (s) => 0.2 + noise(s)) },
      });
    const md = claimSummaryMarkdown([make('small', 0.1), make('large', 0.3)]);
    expect(md).toContain(SEED_CLAIM.statement);
    expect(md).toContain('Supported in 1 of 2 result sets tested, contradicted in 1, inconclusive in 0.');
    const withOneSeed = resultSetVerdict({
      resultSet: 'one seed',
      curves: { nmf: curves(1, 10, () => 0.1), he: curves(1, 10, () => 0.2) },
    });
    expect(claimSummaryMarkdown([make('small', 0.1), withOneSeed])).toContain(
      'Supported in 1 of 1 result sets tested, contradicted in 0, inconclusive in 0; not tested in 1 result set with fewer than 5 paired seeds.',
    );
    expect(md).toMatch(/- small: the claim is \*\*supported\*\*/);
    expect(md).toMatch(/- large: the claim is \*\*not supported\*\*/);
  });
});

describe('verdictToJson', () => {
  it('keeps every epoch, ranking and p-value of the verdict, in the schema results.json is read with', () => {
    const v = resultSetVerdict({
      resultSet: 's',
      curves: {
        nmf: curves(4, 10, (s, e) => 0.2 / (1 + e) + noise(s)),
        he: curves(4, 10, (s, e) => 0.3 / (1 + e) + noise(s)),
        // Identical to nmf: a degenerate paired test, whose statistic is not finite.
        twin: curves(4, 10, (s, e) => 0.2 / (1 + e) + noise(s)),
      },
    });
    const json = verdictJson.parse(verdictToJson(v));
    expect(json.epochs.map((e) => [e.epoch, e.best, e.pValue])).toEqual(
      v.epochs.map((e) => [e.epoch, e.best, e.pValue]),
    );
    expect(json.claim).toEqual(claimJson.parse(claimToJson(v.claim)));
    const statistics = json.epochs.flatMap((e) =>
      e.comparisons.flatMap((c) => Object.values(c.tests ?? {}).map((t) => t.statistic)),
    );
    expect(statistics.every((s) => s === null || Number.isFinite(s))).toBe(true);
    expect(statistics).toContain(null);
    // Plain data: the copy shares no array with the verdict it came from.
    expect(json.epochs[0].ranking[0].seeds).not.toBe(v.epochs[0].ranking[0].seeds);
  });
});
