// The verdict on a stated target (issue 14): a candidate initializer whose validation loss at
// epoch 0 is below the best baseline's at `referenceEpoch` on the reference data set, and which
// then has the lowest mean at every reported epoch on every data set, each with p < alpha against
// the best baseline at that epoch (the primary paired test over seeds). Generated from the numbers.
import {
  type DocSection,
  enoughPairs,
  formatMeanSd,
  formatP,
  meanSd,
  PRIMARY_TEST,
  pWithDf,
  runTest,
  TEST_LABELS,
  z,
} from 'nmfinit';

export const targetSpec = z
  .object({
    /** The data set label the epoch-0 condition is judged on. */
    dataset: z.string().min(1),
    /** Initializer labels that are baselines; every other initializer is a candidate. */
    baselines: z.array(z.string().min(1)).min(1),
    referenceEpoch: z.number().int().positive().default(10),
    alpha: z.number().gt(0).lt(1).default(0.01),
  })
  .strict();
export type TargetSpec = z.output<typeof targetSpec>;

/** Per data set, per initializer, per seed: the validation curve from epoch 0. */
export type Curves = Map<string, Map<string, Map<number, number[]>>>;

const at = (curves: Map<number, number[]> | undefined, epoch: number) =>
  [...(curves ?? new Map()).entries()]
    .map(([seed, c]) => ({ seed, v: c[epoch] }))
    .filter((e) => e.v !== undefined && Number.isFinite(e.v));

const mean = (curves: Map<number, number[]> | undefined, epoch: number) =>
  meanSd(at(curves, epoch).map((e) => e.v)).mean;

/** A report section: per candidate, each condition with its numbers, and whether the target is met. */
export function targetVerdict(
  target: TargetSpec,
  curves: Curves,
  epochs: readonly number[],
  heading: string,
): DocSection {
  const datasets = [...curves.keys()];
  const labels = [...new Set(datasets.flatMap((d) => [...(curves.get(d)?.keys() ?? [])]))];
  const baselines = labels.filter((l) => target.baselines.includes(l));
  const candidates = labels.filter((l) => !target.baselines.includes(l));
  const title = `Target — ${heading}`;
  const notJudged = (text: string): DocSection => ({ title, blocks: [{ type: 'text', text }] });
  const ref = curves.get(target.dataset);
  if (!ref || baselines.length === 0 || candidates.length === 0) {
    return notJudged(`Not judged: needs runs of '${target.dataset}', of a baseline and of a candidate.`);
  }
  const longest = Math.max(...[...ref.values()].flatMap((m) => [...m.values()].map((c) => c.length - 1)));
  if (target.referenceEpoch > longest) {
    return notJudged(
      `Not judged: the runs end at epoch ${longest}, before the reference epoch ${target.referenceEpoch}.`,
    );
  }
  const refBaseline = baselines
    .map((b) => ({ b, m: mean(ref.get(b), target.referenceEpoch) }))
    .sort((x, y) => x.m - y.m)[0];
  const statement =
    `Target: validation MSE at epoch 0 below the best baseline's at epoch ${target.referenceEpoch} on ${target.dataset} ` +
    `(${refBaseline.b}, ${formatMeanSd(
      at(ref.get(refBaseline.b), target.referenceEpoch).map((e) => e.v),
      4,
    )}), ` +
    `then the lowest mean at every reported epoch (${epochs.join(', ')}) on ${datasets.join(' and ')}, ` +
    `each with ${TEST_LABELS[PRIMARY_TEST]} p < ${target.alpha} against the best baseline there.`;
  const met: string[] = [];
  const items: string[] = [];
  for (const c of candidates) {
    const start = mean(ref.get(c), 0);
    const startOk = start < refBaseline.m;
    const failures: string[] = [];
    for (const d of datasets) {
      const byInit = curves.get(d) as Map<string, Map<number, number[]>>;
      for (const e of epochs) {
        const best = baselines
          .map((b) => ({ b, m: mean(byInit.get(b), e) }))
          .filter((x) => Number.isFinite(x.m))
          .sort((x, y) => x.m - y.m)[0];
        const mine = at(byInit.get(c), e);
        if (!best || mine.length === 0) {
          failures.push(`${d} epoch ${e}: no numbers`);
          continue;
        }
        const theirs = new Map(at(byInit.get(best.b), e).map((x) => [x.seed, x.v]));
        const pairs = mine.filter((x) => theirs.has(x.seed));
        const m = meanSd(mine.map((x) => x.v)).mean;
        const p =
          pairs.length >= 2
            ? runTest(
                PRIMARY_TEST,
                pairs.map((x) => x.v),
                pairs.map((x) => theirs.get(x.seed) as number),
              ).pValue
            : Number.NaN;
        // Met only with enough pairs for the one policy on tests (MIN_PAIRED_SEEDS).
        if (!(m < best.m && p < target.alpha && enoughPairs(pairs.length))) {
          failures.push(
            `${d} epoch ${e}: ${m.toPrecision(4)} vs ${best.b} ${best.m.toPrecision(4)}, p ${Number.isFinite(p) ? pWithDf(formatP(p), pairs.length) : 'n/a'}`,
          );
        }
      }
    }
    const ok = startOk && failures.length === 0;
    if (ok) met.push(c);
    items.push(
      `**${c}**: epoch 0 on ${target.dataset} ${start.toPrecision(4)} ${startOk ? '<' : '≥'} ${refBaseline.m.toPrecision(4)}; ` +
        (failures.length === 0
          ? 'best with p below the threshold at every reported epoch on every data set'
          : `not best with p < ${target.alpha} at ${failures.length} epoch(s): ${failures.join('; ')}`) +
        ` — target ${ok ? '**met**' : 'not met'}.`,
    );
  }
  return {
    title,
    blocks: [
      { type: 'text', text: statement },
      { type: 'list', items },
      {
        type: 'text',
        text: met.length > 0 ? `The target is met by ${met.join(', ')}.` : 'No candidate meets the target.',
      },
    ],
  };
}
