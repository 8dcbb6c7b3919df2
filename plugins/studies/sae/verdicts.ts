import { enoughPairs, MIN_PAIRED_SEEDS, pairedT, wilcoxonSignedRank } from 'nmfinit';
import type { SaeResult } from './run.ts';
import type { SaeRun } from './spec.ts';
import { pairedTest } from './verdict-test.ts';

// Verdicts generated from the stored runs, never written by hand.
//
// The notes' claim: the auxiliary loss revives dead latents and improves reconstruction. A run
// with the auxiliary loss is paired with the run without it that shares everything else (entry,
// n, k, dictionary, seed: the same initial dictionary and batch order), and the per-pair
// difference (aux − no aux) of the final dead fraction and normalised MSE is tested.
// - Per configuration: the exact paired sign-flip test over its seeds. It assumes only that
//   each difference is symmetric about 0 under the null; exact, but with s seeds its smallest
//   p-value is 2/2^s (0.25 for 3 seeds), so one configuration alone can never reach 0.05.
// - Per dataset entry, the verdict: the paired t-test over all (configuration, seed) pairs of the
//   entry, under the one policy of every report (STATISTICS_POLICY in src/report): significant
//   at ALPHA only with at least MIN_PAIRED_SEEDS pairs. It tests the mean difference across the
//   entry's configurations (they differ in scale, so it is an average effect) and treats pairs as
//   independent, which they are across seeds. Wilcoxon's signed-rank p is kept beside it in
//   results.json and report.html.

export const ALPHA = 0.05;

export interface StoredSae {
  config: SaeRun;
  result: SaeResult;
}

export type Metric = 'deadFraction' | 'normalizedMse';

export interface ConfigComparison {
  label: string;
  config: string;
  metric: Metric;
  seeds: number;
  /** Mean of (treatment − baseline) over seeds. */
  meanDifference: number;
  signFlipP: number;
  smallestPossibleP: number;
}

export interface Verdict {
  claim: string;
  label: string;
  metric: Metric;
  pairs: number;
  meanDifference: number;
  /** Pairs where the treatment is lower, equal, higher. */
  lower: number;
  ties: number;
  higher: number;
  wilcoxonP: number;
  pairedTP: number;
  /** 'not judged': fewer than MIN_PAIRED_SEEDS pairs, whatever p says. */
  status: 'holds' | 'contradicted' | 'not shown' | 'not judged';
  text: string;
}

const metricName: Record<Metric, string> = {
  deadFraction: 'dead fraction',
  normalizedMse: 'normalised MSE',
};

/** Pairs of runs that differ only in `treated` (true = the treatment), keyed by the rest. */
function pairRuns(
  runs: readonly StoredSae[],
  treated: (c: SaeRun) => boolean | null,
  key: (c: SaeRun) => string,
): Map<string, { treatment: StoredSae; baseline: StoredSae }[]> {
  const byKey = new Map<string, { t?: StoredSae; b?: StoredSae }>();
  for (const r of runs) {
    const t = treated(r.config);
    if (t === null) continue;
    const k = `${key(r.config)}|${r.config.seed}`;
    const slot = byKey.get(k) ?? {};
    if (t) slot.t = r;
    else slot.b = r;
    byKey.set(k, slot);
  }
  const groups = new Map<string, { treatment: StoredSae; baseline: StoredSae }[]>();
  for (const [k, { t, b }] of byKey) {
    if (!t || !b) continue;
    const group = k.slice(0, k.lastIndexOf('|'));
    groups.set(group, [...(groups.get(group) ?? []), { treatment: t, baseline: b }]);
  }
  return groups;
}

function compare(
  claim: string,
  label: string,
  groups: Map<string, { treatment: StoredSae; baseline: StoredSae }[]>,
  metric: Metric,
  configName: (key: string) => string,
): { verdict: Verdict | null; configs: ConfigComparison[] } {
  const rows: { latents: number; k: number; row: ConfigComparison }[] = [];
  const t: number[] = [];
  const b: number[] = [];
  for (const [key, pairs] of groups) {
    const { latents, k } = pairs[0].treatment.config;
    const tv = pairs.map((p) => p.treatment.result.final[metric]);
    const bv = pairs.map((p) => p.baseline.result.final[metric]);
    t.push(...tv);
    b.push(...bv);
    const test = pairedTest(tv, bv);
    rows.push({
      latents,
      k,
      row: {
        label,
        config: configName(key),
        metric,
        seeds: pairs.length,
        meanDifference: test.meanDifference,
        signFlipP: test.p,
        smallestPossibleP: test.smallestPossibleP,
      },
    });
  }
  // Rows by n and k as numbers (runs come sorted by id, where k = 16 sorts before k = 8); the
  // pooled differences above keep the groups' own order, so the verdicts' sums do not move.
  const configs = rows.sort((x, y) => x.latents - y.latents || x.k - y.k).map((r) => r.row);
  if (t.length === 0) return { verdict: null, configs };
  const diffs = t.map((v, i) => v - b[i]);
  const meanDifference = diffs.reduce((s, v) => s + v, 0) / diffs.length;
  // One pair (a partial study) has no test; it is not judged either way.
  const tested = t.length >= 2;
  const wilcoxonP = tested ? wilcoxonSignedRank(t, b).pValue : Number.NaN;
  const pairedTP = tested ? pairedT(t, b).pValue : Number.NaN;
  const judged = enoughPairs(diffs.length) && Number.isFinite(pairedTP);
  const significant = judged && pairedTP < ALPHA;
  const status = !judged
    ? 'not judged'
    : !significant
      ? 'not shown'
      : meanDifference < 0
        ? 'holds'
        : 'contradicted';
  const lower = diffs.filter((d) => d < 0).length;
  const higher = diffs.filter((d) => d > 0).length;
  const m = metricName[metric];
  const text =
    `${label}: over ${diffs.length} paired run${diffs.length === 1 ? '' : 's'} the ${m} is lower in ${lower}, higher in ${higher}` +
    `${diffs.length - lower - higher > 0 ? `, equal in ${diffs.length - lower - higher}` : ''}; mean difference ${meanDifference.toExponential(2)} ` +
    (tested
      ? `(paired t p = ${pairedTP.toPrecision(2)}${judged ? '' : ` with ${diffs.length - 1} df`}; Wilcoxon p = ${wilcoxonP.toPrecision(2)}): `
      : '(one pair: no test): ') +
    (!judged
      ? `not judged: fewer than ${MIN_PAIRED_SEEDS} pairs.`
      : status === 'holds'
        ? `lower, significant at ${ALPHA}.`
        : status === 'contradicted'
          ? `higher, significant at ${ALPHA}: the data contradict it.`
          : `no significant difference at ${ALPHA}.`);
  return {
    verdict: {
      claim,
      label,
      metric,
      pairs: diffs.length,
      meanDifference,
      lower,
      ties: diffs.length - lower - higher,
      higher,
      wilcoxonP,
      pairedTP,
      status,
      text,
    },
    configs,
  };
}

const configKey = (c: SaeRun) => `n = ${c.latents}, k = ${c.k}, ${c.dictionary}`;

/** One pairing's verdict on both metrics, dead fraction first, each with its claim. */
function compareMetrics(
  claims: Record<Metric, string>,
  label: string,
  groups: ReturnType<typeof pairRuns>,
  out: { verdicts: Verdict[]; configs: ConfigComparison[] },
): void {
  for (const metric of ['deadFraction', 'normalizedMse'] as const) {
    const r = compare(claims[metric], label, groups, metric, (k) => k);
    if (r.verdict) out.verdicts.push(r.verdict);
    out.configs.push(...r.configs);
  }
}

/** The auxiliary-loss claim per entry: dead fraction and normalised MSE, aux against no aux. */
export function auxVerdicts(runs: readonly StoredSae[]) {
  const verdicts: Verdict[] = [];
  const configs: ConfigComparison[] = [];
  const labels = [...new Set(runs.map((r) => r.config.label))];
  for (const label of labels) {
    const groups = pairRuns(
      runs.filter((r) => r.config.label === label),
      (c) => c.aux,
      configKey,
    );
    compareMetrics(
      {
        deadFraction: 'the auxiliary loss lowers the dead fraction',
        normalizedMse: 'the auxiliary loss lowers the normalised MSE',
      },
      label,
      groups,
      { verdicts, configs },
    );
  }
  return { verdicts, configs };
}

/**
 * The NMF dictionary against the standard one, paired across entries that train on the same
 * data (dataset, parameters, training samples), with the same n, k, aux and seed.
 */
export function dictionaryVerdicts(runs: readonly StoredSae[], dataKey: (c: SaeRun) => string) {
  const verdicts: Verdict[] = [];
  const configs: ConfigComparison[] = [];
  const byData = new Map<string, StoredSae[]>();
  for (const r of runs) byData.set(dataKey(r.config), [...(byData.get(dataKey(r.config)) ?? []), r]);
  for (const [, here] of byData) {
    const groups = pairRuns(
      here,
      (c) => (c.dictionary === 'sae-nmf' ? true : c.dictionary === 'sae-standard' ? false : null),
      (c) => `n = ${c.latents}, k = ${c.k}, ${c.aux ? 'aux' : 'no aux'}`,
    );
    if (groups.size === 0) continue;
    const label = [
      ...new Set(here.filter((r) => r.config.dictionary === 'sae-nmf').map((r) => r.config.label)),
    ].join(', ');
    compareMetrics(
      {
        deadFraction: 'the NMF dictionary has a lower dead fraction than the standard one',
        normalizedMse: 'the NMF dictionary has a lower normalised MSE than the standard one',
      },
      label,
      groups,
      { verdicts, configs },
    );
  }
  return { verdicts, configs };
}
