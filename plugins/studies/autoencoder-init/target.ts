// The verdict on a stated target (issues 14 and 24): a candidate initializer judged against
// baselines by up to four conditions, each generated from the numbers:
// - start vs baselines: epoch 0 on the reference data set below the best baseline's mean at
//   `referenceEpoch`;
// - start vs PCA: epoch 0 at or below the PCA reference's validation MSE on every data set;
// - best: the lowest mean at every reported epoch on every data set, either with p < alpha against
//   the best baseline there (the primary paired test over seeds) or by the means alone;
// - improvement: at the last epoch, the mean at least a fraction below its own epoch-0 mean.
// Each condition is met, not met, or not judged (a paired test with fewer seeds than the one
// statistics policy asks for); the target is met only when every condition is.
import {
  type DocSection,
  enoughPairs,
  formatMeanSd,
  formatP,
  MIN_PAIRED_SEEDS,
  meanSd,
  PRIMARY_TEST,
  pWithDf,
  runTest,
  TEST_LABELS,
  z,
} from 'nmfinit';

export const targetSpec = z
  .object({
    /** The data set label the start-vs-baselines condition is judged on. */
    dataset: z.string().min(1),
    /** Initializer labels that are baselines; every other initializer is a candidate. */
    baselines: z.array(z.string().min(1)).min(1),
    /** Epoch 0 below the best baseline's mean at this epoch on `dataset`; null: no such condition. */
    referenceEpoch: z.number().int().positive().nullable().default(10),
    /** Epoch 0 at or below the PCA reference's validation MSE on every data set. */
    startAtOrBelowPca: z.boolean().default(false),
    /**
     * How "best at every reported epoch" is judged: 'paired-test' needs the lowest mean and
     * p < alpha over at least MIN_PAIRED_SEEDS pairs; 'mean' the lowest mean (p printed only).
     */
    best: z.enum(['paired-test', 'mean']).default('paired-test'),
    alpha: z.number().gt(0).lt(1).default(0.01),
    /** At the runs' last epoch, the mean at least this fraction below the candidate's own epoch 0. */
    improveOnStart: z.number().gt(0).lt(1).optional(),
  })
  .strict();
export type TargetSpec = z.output<typeof targetSpec>;

/** Per data set, per initializer, per seed: the validation curve from epoch 0. */
export type Curves = Map<string, Map<string, Map<number, number[]>>>;

/** Per data set: the PCA reference the start-vs-PCA condition compares with. */
export type PcaErrors = Map<string, { rank: number; valMse: number }>;

type Outcome = 'met' | 'not met' | 'not judged';

/** One condition's outcome for one candidate, with the numbers that decided it. */
interface Judged {
  outcome: Outcome;
  text: string;
}

const at = (curves: Map<number, number[]> | undefined, epoch: number) =>
  [...(curves ?? new Map()).entries()]
    .map(([seed, c]) => ({ seed, v: c[epoch] }))
    .filter((e) => e.v !== undefined && Number.isFinite(e.v));

const mean = (curves: Map<number, number[]> | undefined, epoch: number) =>
  meanSd(at(curves, epoch).map((e) => e.v)).mean;

const n4 = (v: number) => v.toPrecision(4);
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The worst of several outcomes: any miss decides, then anything not judged. */
function worst(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes('not met')) return 'not met';
  return outcomes.includes('not judged') ? 'not judged' : 'met';
}

/** A report section: per candidate, each condition with its numbers, and whether the target is met. */
export function targetVerdict(
  target: TargetSpec,
  curves: Curves,
  epochs: readonly number[],
  heading: string,
  pcaErrors: PcaErrors = new Map(),
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
  const longest = Math.max(
    ...[...curves.values()].flatMap((byInit) =>
      [...byInit.values()].flatMap((m) => [...m.values()].map((c) => c.length - 1)),
    ),
  );
  if (target.referenceEpoch !== null && target.referenceEpoch > longest) {
    return notJudged(
      `Not judged: the runs end at epoch ${longest}, before the reference epoch ${target.referenceEpoch}.`,
    );
  }
  const missingPca = datasets.filter((d) => !pcaErrors.has(d));
  if (target.startAtOrBelowPca && missingPca.length > 0) {
    return notJudged(`Not judged: no PCA reference for ${missingPca.join(', ')}.`);
  }

  const refBaseline =
    target.referenceEpoch === null
      ? undefined
      : baselines
          .map((b) => ({ b, m: mean(ref.get(b), target.referenceEpoch as number) }))
          .sort((x, y) => x.m - y.m)[0];
  const test = TEST_LABELS[PRIMARY_TEST];
  const parts: string[] = [];
  if (refBaseline && target.referenceEpoch !== null)
    parts.push(
      `validation MSE at epoch 0 below the best baseline's at epoch ${target.referenceEpoch} on ${target.dataset} ` +
        `(${refBaseline.b}, ${formatMeanSd(
          at(ref.get(refBaseline.b), target.referenceEpoch).map((e) => e.v),
          4,
        )})`,
    );
  if (target.startAtOrBelowPca)
    parts.push(
      `validation MSE at epoch 0 at or below the PCA error on every data set (${datasets
        .map((d) => {
          const p = pcaErrors.get(d) as { rank: number; valMse: number };
          return `${d}: PCA-${p.rank} ${n4(p.valMse)}`;
        })
        .join('; ')})`,
    );
  parts.push(
    target.best === 'paired-test'
      ? `the lowest mean at every reported epoch (${epochs.join(', ')}) on ${datasets.join(' and ')}, each with ${test} p < ${target.alpha} against the best baseline there over at least ${MIN_PAIRED_SEEDS} paired seeds`
      : `the lowest mean at every reported epoch (${epochs.join(', ')}) on ${datasets.join(' and ')}, judged by the means (${test} p printed for information)`,
  );
  if (target.improveOnStart !== undefined)
    parts.push(
      `at epoch ${longest} a mean at least ${pct(target.improveOnStart)} below its own epoch-0 mean on every data set`,
    );
  const statement = `Target: ${parts.join('; ')}.`;

  const verdicts: { candidate: string; outcome: Outcome; lines: string[] }[] = [];
  for (const c of candidates) {
    const judged: Judged[] = [];
    if (refBaseline) {
      const start = mean(ref.get(c), 0);
      const ok = start < refBaseline.m;
      judged.push({
        outcome: ok ? 'met' : 'not met',
        text: `Epoch 0 against the baselines: ${target.dataset} ${n4(start)} ${ok ? '<' : '≥'} ${n4(refBaseline.m)} (${refBaseline.b} at epoch ${target.referenceEpoch})`,
      });
    }
    if (target.startAtOrBelowPca) {
      const each = datasets.map((d) => {
        const start = mean(curves.get(d)?.get(c), 0);
        const p = pcaErrors.get(d) as { rank: number; valMse: number };
        const ok = start <= p.valMse;
        return { ok, text: `${d} ${n4(start)} ${ok ? '≤' : '>'} PCA-${p.rank} ${n4(p.valMse)}` };
      });
      judged.push({
        outcome: each.every((e) => e.ok) ? 'met' : 'not met',
        text: `Epoch 0 against PCA: ${each.map((e) => e.text).join(', ')}`,
      });
    }
    judged.push(bestAtEveryEpoch(target, curves, c, baselines, epochs));
    if (target.improveOnStart !== undefined) {
      const need = target.improveOnStart;
      const each = datasets.map((d) => {
        const mine = curves.get(d)?.get(c);
        const start = mean(mine, 0);
        const last = mean(mine, longest);
        const gain = 1 - last / start;
        const ok = Number.isFinite(gain) && gain >= need;
        const short =
          Number.isFinite(gain) && !ok ? `, ${(100 * (need - gain)).toFixed(2)} points short` : '';
        return { ok, text: `${d} ${n4(start)} → ${n4(last)}, ${pct(gain)} below${short}` };
      });
      judged.push({
        outcome: each.every((e) => e.ok) ? 'met' : 'not met',
        text: `Epoch ${longest} against its own start: ${each.map((e) => e.text).join('; ')}`,
      });
    }
    const outcome = worst(judged.map((j) => j.outcome));
    verdicts.push({
      candidate: c,
      outcome,
      lines: judged.map((j) => `${j.text} — ${j.outcome}.`),
    });
  }
  const met = verdicts.filter((v) => v.outcome === 'met').map((v) => v.candidate);
  const open = verdicts.filter((v) => v.outcome === 'not judged').map((v) => v.candidate);
  const summary =
    met.length > 0
      ? `The target is met by ${met.join(', ')}.`
      : open.length > 0
        ? `The target is not judged for ${open.join(', ')}: no condition is missed, but a paired test has fewer than ${MIN_PAIRED_SEEDS} seeds.`
        : 'No candidate meets the target.';
  return {
    title,
    blocks: [
      { type: 'text', text: statement },
      {
        type: 'list',
        items: verdicts.map(
          (v) =>
            `**${v.candidate}** — target ${v.outcome === 'met' ? '**met**' : v.outcome}. ${v.lines.join(' ')}`,
        ),
      },
      { type: 'text', text: summary },
    ],
  };
}

/** The "best at every reported epoch" condition for one candidate, judged as the target says. */
function bestAtEveryEpoch(
  target: TargetSpec,
  curves: Curves,
  candidate: string,
  baselines: readonly string[],
  epochs: readonly number[],
): Judged {
  const misses: string[] = [];
  const unjudged: string[] = [];
  const shown: string[] = [];
  for (const [d, byInit] of curves) {
    for (const e of epochs) {
      const best = baselines
        .map((b) => ({ b, m: mean(byInit.get(b), e) }))
        .filter((x) => Number.isFinite(x.m))
        .sort((x, y) => x.m - y.m)[0];
      const mine = at(byInit.get(candidate), e);
      if (!best || mine.length === 0) {
        misses.push(`${d} epoch ${e}: no numbers`);
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
      const pText = Number.isFinite(p) ? pWithDf(formatP(p), pairs.length) : 'n/a';
      const line = `${d} epoch ${e}: ${n4(m)} vs ${best.b} ${n4(best.m)}, p ${pText}`;
      shown.push(line);
      if (!(m < best.m)) misses.push(line);
      else if (target.best === 'paired-test' && !(p < target.alpha)) {
        // Too few pairs to judge is not a miss: p is printed, the condition stays open.
        if (enoughPairs(pairs.length)) misses.push(line);
        else unjudged.push(`${line} (${pairs.length} pairs)`);
      } else if (target.best === 'paired-test' && !enoughPairs(pairs.length))
        unjudged.push(`${line} (${pairs.length} pairs)`);
    }
  }
  const how = target.best === 'paired-test' ? `with p < ${target.alpha}` : 'by the means';
  if (misses.length > 0)
    return {
      outcome: 'not met',
      text: `Not best ${how} at ${misses.length} epoch(s): ${misses.join('; ')}`,
    };
  if (unjudged.length > 0)
    return {
      outcome: 'not judged',
      text: `The lowest mean at every reported epoch, but fewer than ${MIN_PAIRED_SEEDS} paired seeds at ${unjudged.length}: ${unjudged.join('; ')}`,
    };
  return {
    outcome: 'met',
    text:
      target.best === 'paired-test'
        ? `Best with p < ${target.alpha} at every reported epoch on every data set: ${shown.join('; ')}`
        : `The lowest mean at every reported epoch on every data set: ${shown.join('; ')}`,
  };
}
