import { z } from 'zod';
import { TEST_NAMES, type TestName } from './stats.ts';
import type { ResultSetVerdict } from './verdict.ts';

// A ResultSetVerdict as results.json keeps it: its schema (checked by the tests and by readers of
// the file) and the conversion, with non-finite statistics written as null.

const testName = z.enum(TEST_NAMES);

/** A claim's verdict on one result set (or one data set × samples pair), as results.json keeps it. */
export const claimJson = z
  .object({
    status: z.enum(['supported', 'contradicted', 'inconclusive', 'untested', 'not-applicable']),
    subject: z.string(),
    rivals: z.array(z.string()),
    epochs: z.array(
      z
        .object({
          epoch: z.number().int(),
          outcome: z.enum(['best', 'behind', 'undecided', 'untested']),
          versus: z.string(),
          pValue: z.number().nullable(),
        })
        .strict(),
    ),
    sentence: z.string(),
  })
  .strict();

/** The generated verdict on one result set: per reported epoch the ranking and every p-value. */
export const verdictJson = z
  .object({
    test: testName,
    epochs: z.array(
      z
        .object({
          epoch: z.number().int(),
          best: z.string(),
          runnerUp: z.string(),
          margin: z.object({ absolute: z.number(), relative: z.number() }).strict(),
          pValue: z.number().nullable(),
          significant: z.object({ at05: z.boolean(), at01: z.boolean() }).strict(),
          ranking: z.array(
            z
              .object({ label: z.string(), mean: z.number(), sd: z.number(), seeds: z.array(z.string()) })
              .strict(),
          ),
          /** Each initializer against the best other; `tests` holds all four tests (statistic null when degenerate). */
          comparisons: z.array(
            z
              .object({
                label: z.string(),
                versus: z.string(),
                pairedSeeds: z.array(z.string()),
                pValue: z.number().nullable(),
                tests: z
                  .record(
                    testName,
                    z.object({ pValue: z.number(), statistic: z.number().nullable() }).strict(),
                  )
                  .nullable(),
              })
              .strict(),
          ),
          sentence: z.string(),
        })
        .strict(),
    ),
    claim: claimJson,
  })
  .strict();

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/** A claim's verdict as results.json keeps it (`claimJson`). */
export function claimToJson(c: ResultSetVerdict['claim']): z.infer<typeof claimJson> {
  return {
    status: c.status,
    subject: c.subject,
    rivals: [...c.rivals],
    epochs: c.epochs.map((e) => ({ ...e })),
    sentence: c.sentence,
  };
}

/** All four tests of a comparison; a statistic that is not finite (a degenerate test) is null. */
function testsToJson(tests: NonNullable<ResultSetVerdict['epochs'][number]['comparisons'][number]['tests']>) {
  const out = {} as Record<TestName, { pValue: number; statistic: number | null }>;
  for (const t of TEST_NAMES) out[t] = { pValue: tests[t].pValue, statistic: finite(tests[t].statistic) };
  return out;
}

/** A result set's verdict as results.json keeps it (`verdictJson`): every epoch's ranking and p-values. */
export function verdictToJson(v: ResultSetVerdict): z.infer<typeof verdictJson> {
  return {
    test: v.test,
    epochs: v.epochs.map((e) => ({
      epoch: e.epoch,
      best: e.best,
      runnerUp: e.runnerUp,
      margin: { ...e.margin },
      pValue: e.pValue,
      significant: { ...e.significant },
      ranking: e.ranking.map((r) => ({ label: r.label, mean: r.mean, sd: r.sd, seeds: [...r.seeds] })),
      comparisons: e.comparisons.map((c) => ({
        label: c.label,
        versus: c.versus,
        pairedSeeds: [...c.pairedSeeds],
        pValue: c.pValue,
        tests: c.tests === null ? null : testsToJson(c.tests),
      })),
      sentence: e.sentence,
    })),
    claim: claimToJson(v.claim),
  };
}
