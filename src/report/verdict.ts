// Verdicts computed from the numbers: for one result set (a data set, a sample count, a training
// length), which initializer has the lowest mean validation loss at each reported epoch, by how
// much, with what p-value, and whether the seed study's claim holds there. Pure: curves in, data
// and Markdown sentences out; nothing here is written by hand about results.
import type { DocBlock, DocTable } from './document.ts';
import { formatMeanSd, MISSING_MARK, meanSd } from './format.ts';
import { markdownBlock } from './markdown.ts';
import {
  allTests,
  enoughPairs,
  MIN_PAIRED_SEEDS,
  PRIMARY_TEST,
  pWithDf,
  TEST_LABELS,
  type TestName,
  type TestResult,
} from './stats.ts';

/** Epochs a verdict reports where the curves reach them; epoch 0 (before training) never has a "best". */
export const VERDICT_EPOCHS = [1, 2, 5, 10, 50] as const;

/** The early epochs the claim is judged on: "after fewer epochs". */
export const CLAIM_EARLY_MAX_EPOCH = 10;

export const SIGNIFICANCE_LEVELS = [0.05, 0.01] as const;

export interface VerdictInput {
  /** Names the result set in sentences, e.g. "mnist_digit, 3,000 samples, 50 epochs". */
  readonly resultSet: string;
  /**
   * Per initializer label, per seed, the validation loss indexed by epoch (index 0 = before
   * training). Runs are paired by seed. Non-finite values (diverged runs) count as missing.
   */
  readonly curves: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
  /** Default: VERDICT_EPOCHS, those that some curve reaches. */
  readonly epochs?: readonly number[];
  /** The claim the study makes, as it states it (declared by the study, never defaulted here). */
  readonly claim: string;
  /** The initializer the claim is about. */
  readonly subject: string;
  /**
   * The initializers the claim's subject is judged against; default every other. An ablation
   * leaves out the subject's own variants, so the claim stays NMF against the other methods.
   */
  readonly rivals?: readonly string[];
  /** Mean ± sd digits in sentences; default 3. */
  readonly digits?: number;
}

export interface Standing {
  readonly label: string;
  readonly mean: number;
  readonly sd: number;
  /** Seeds with a finite value at this epoch. */
  readonly seeds: readonly string[];
}

export interface Comparison {
  readonly label: string;
  /** The best other initializer at this epoch (lowest mean among the rest). */
  readonly versus: string;
  /** Seeds both have (the pairs); the tests need two. */
  readonly pairedSeeds: readonly string[];
  /** The primary test's p-value; null with fewer than two paired seeds. */
  readonly pValue: number | null;
  readonly tests: Readonly<Record<TestName, TestResult>> | null;
}

export interface EpochVerdict {
  readonly epoch: number;
  /** Lowest mean first. */
  readonly ranking: readonly Standing[];
  readonly best: string;
  readonly runnerUp: string;
  /** runnerUp.mean − best.mean, and that relative to runnerUp.mean. */
  readonly margin: { readonly absolute: number; readonly relative: number };
  /** The best's comparison with the runner-up (its best other). */
  readonly pValue: number | null;
  readonly significant: { readonly at05: boolean; readonly at01: boolean };
  /** Every initializer against its best other initializer, in ranking order. */
  readonly comparisons: readonly Comparison[];
  readonly sentence: string;
}

/** 'untested': the subject is there but no epoch has MIN_PAIRED_SEEDS paired seeds. */
export type ClaimStatus = 'supported' | 'contradicted' | 'inconclusive' | 'untested' | 'not-applicable';
export type ClaimOutcome = 'best' | 'behind' | 'undecided' | 'untested';

export interface ClaimVerdict {
  readonly claim: string;
  readonly subject: string;
  readonly status: ClaimStatus;
  /** Whom the subject is judged against. */
  readonly rivals: readonly string[];
  /**
   * The early epochs judged and, per epoch, whether the subject is significantly best, significantly
   * behind, neither, or untested (fewer than two paired seeds); versus and p against its best rival.
   */
  readonly epochs: readonly {
    epoch: number;
    outcome: ClaimOutcome;
    versus: string;
    pValue: number | null;
  }[];
  readonly sentence: string;
}

export interface ResultSetVerdict {
  readonly resultSet: string;
  readonly test: TestName;
  readonly epochs: readonly EpochVerdict[];
  readonly claim: ClaimVerdict;
  /** The sentences, one per line, then the p-value table. */
  readonly markdown: string;
}

/** The verdict on one result set. Throws when fewer than two initializers have curves. */
export function resultSetVerdict(input: VerdictInput): ResultSetVerdict {
  const labels = Object.keys(input.curves);
  if (labels.length < 2) {
    throw new RangeError(
      `resultSetVerdict(${input.resultSet}): needs at least two initializers, got ${labels.length} (${labels.join(', ')})`,
    );
  }
  const digits = input.digits ?? 3;
  const longest = Math.max(
    0,
    ...labels.flatMap((l) => Object.values(input.curves[l]).map((c) => c.length - 1)),
  );
  const epochs = (input.epochs ?? VERDICT_EPOCHS).filter((e) => e >= 1 && e <= longest);
  for (const e of epochs) {
    if (!Number.isInteger(e)) throw new RangeError(`resultSetVerdict: epoch ${e} is not an integer`);
  }
  const verdicts = epochs
    .map((epoch) => epochVerdict(input, labels, epoch, digits))
    .filter((v): v is EpochVerdict => v !== null);
  const { subject } = input;
  const rivals = input.rivals ?? labels.filter((l) => l !== subject);
  for (const r of rivals) {
    if (r === subject || !labels.includes(r)) {
      throw new RangeError(
        `resultSetVerdict(${input.resultSet}): rival '${r}' is ${r === subject ? 'the subject' : 'not among the curves'} (${labels.join(', ')})`,
      );
    }
  }
  // The claim is judged on the subject and its rivals alone: "best other" means best rival.
  const claimLabels = labels.includes(subject) ? [subject, ...rivals] : [];
  const claimEpochs =
    claimLabels.length === labels.length
      ? verdicts
      : epochs
          .map((epoch) => epochVerdict(input, claimLabels, epoch, digits))
          .filter((v): v is EpochVerdict => v !== null);
  const claim = claimVerdict(input.claim, input.resultSet, subject, rivals, labels.length, claimEpochs);
  const partial = { resultSet: input.resultSet, test: PRIMARY_TEST, epochs: verdicts, claim };
  return { ...partial, markdown: blocksMarkdown(verdictBlocks(partial, 'verdict')) };
}

/** Blocks as Markdown, a blank line between them. */
function blocksMarkdown(blocks: readonly DocBlock[]): string {
  return blocks.map((b) => markdownBlock(b).join('\n')).join('\n\n');
}

/**
 * The verdict as report blocks: a line per epoch and the claim's, then the p-value table
 * (`tableId` names it in report.html) where any p-value was computed.
 */
export function verdictBlocks(
  v: Omit<ResultSetVerdict, 'markdown'>,
  tableId: string,
  withClaim = true,
): DocBlock[] {
  const table = pValueTable(v.epochs, tableId);
  return [
    { type: 'list', items: [...v.epochs.map((e) => e.sentence), ...(withClaim ? [v.claim.sentence] : [])] },
    ...(table === null ? [] : [table]),
  ];
}

function valuesAt(curves: Readonly<Record<string, readonly number[]>>, epoch: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [seed, curve] of Object.entries(curves)) {
    const v = curve[epoch];
    if (v !== undefined && Number.isFinite(v)) out.set(seed, v);
  }
  return out;
}

function epochVerdict(
  input: VerdictInput,
  labels: readonly string[],
  epoch: number,
  digits: number,
): EpochVerdict | null {
  const values = new Map(labels.map((l) => [l, valuesAt(input.curves[l], epoch)]));
  const ranking: Standing[] = labels
    .filter((l) => (values.get(l)?.size ?? 0) > 0)
    .map((label) => {
      const v = values.get(label) as Map<string, number>;
      const { mean, sd } = meanSd([...v.values()]);
      return { label, mean, sd, seeds: [...v.keys()] };
    })
    // Ties in the mean keep the input order, so the result never depends on the sort's whims.
    .sort((a, b) => a.mean - b.mean);
  if (ranking.length < 2) return null;
  const comparisons = ranking.map((standing) => {
    const versus = ranking.find((other) => other.label !== standing.label) as Standing;
    return compare(standing.label, versus.label, values);
  });
  const [best, runnerUp] = ranking;
  const pValue = comparisons[0].pValue;
  // Significant only with enough pairs (MIN_PAIRED_SEEDS): below it p is printed, never judged.
  const judged = pValue !== null && enoughPairs(comparisons[0].pairedSeeds.length);
  const significant = { at05: judged && pValue < 0.05, at01: judged && pValue < 0.01 };
  const absolute = runnerUp.mean - best.mean;
  const margin = { absolute, relative: runnerUp.mean === 0 ? 0 : absolute / runnerUp.mean };
  const cell = (s: Standing) => {
    const v = values.get(s.label) as Map<string, number>;
    return `${formatMeanSd([...v.values()], digits)}, ${v.size} seed${v.size === 1 ? '' : 's'}`;
  };
  const pText =
    pValue === null
      ? 'too few paired seeds for a test'
      : judged
        ? `${TEST_LABELS[PRIMARY_TEST]} ${pEquals(pValue)}, ${significanceText(significant)}`
        : `${TEST_LABELS[PRIMARY_TEST]} ${pEquals(pValue)} with ${comparisons[0].pairedSeeds.length - 1} degree${comparisons[0].pairedSeeds.length === 2 ? '' : 's'} of freedom, not judged (fewer than ${MIN_PAIRED_SEEDS} paired seeds)`;
  // The name is bold only where the test backs it, as in the report's tables.
  const name = significant.at05 ? `**${best.label}**` : best.label;
  const sentence =
    `${input.resultSet}, epoch ${epoch}: ${name} has the lowest validation loss ` +
    `(${cell(best)}), ${formatNumber(absolute, digits)} (${formatPercent(margin.relative)}) below ` +
    `${runnerUp.label} (${cell(runnerUp)}); ${pText}.`;
  return {
    epoch,
    ranking,
    best: best.label,
    runnerUp: runnerUp.label,
    margin,
    pValue,
    significant,
    comparisons,
    sentence,
  };
}

function compare(label: string, versus: string, values: Map<string, Map<string, number>>): Comparison {
  const a = values.get(label) as Map<string, number>;
  const b = values.get(versus) as Map<string, number>;
  const pairedSeeds = [...a.keys()].filter((seed) => b.has(seed));
  if (pairedSeeds.length < 2) return { label, versus, pairedSeeds, pValue: null, tests: null };
  const x = pairedSeeds.map((s) => a.get(s) as number);
  const y = pairedSeeds.map((s) => b.get(s) as number);
  const tests = allTests(x, y);
  return { label, versus, pairedSeeds, pValue: tests[PRIMARY_TEST].pValue, tests };
}

function claimVerdict(
  statement: string,
  resultSet: string,
  subject: string,
  rivals: readonly string[],
  labelCount: number,
  verdicts: readonly EpochVerdict[],
): ClaimVerdict {
  const early = verdicts.filter((v) => v.epoch <= CLAIM_EARLY_MAX_EPOCH);
  const base = { claim: statement, subject, rivals };
  const present = early.filter((v) => v.ranking.some((s) => s.label === subject));
  if (present.length === 0) {
    return {
      ...base,
      status: 'not-applicable',
      epochs: [],
      sentence: `${resultSet}: the claim is not tested here (no epoch from 1 to ${CLAIM_EARLY_MAX_EPOCH} has runs of ${subject} and of ${rivals.length > 0 ? rivals.join(' or ') : 'another initializer'}).`,
    };
  }
  const epochs = present.map((v) => {
    const own = v.comparisons.find((c) => c.label === subject) as Comparison;
    const outcome: ClaimOutcome =
      own.pValue === null || !enoughPairs(own.pairedSeeds.length)
        ? 'untested'
        : own.pValue >= 0.05
          ? 'undecided'
          : v.best === subject
            ? 'best'
            : 'behind';
    return { epoch: v.epoch, outcome, versus: own.versus, pValue: own.pValue };
  });
  const list = (o: string) =>
    epochs
      .filter((e) => e.outcome === o)
      .map((e) => e.epoch)
      .join(', ');
  const behind = epochs.filter((e) => e.outcome === 'behind');
  const status: ClaimStatus =
    behind.length > 0
      ? 'contradicted'
      : epochs.every((e) => e.outcome === 'best')
        ? 'supported'
        : epochs.every((e) => e.outcome === 'untested')
          ? 'untested'
          : 'inconclusive';
  const against = rivals.length === labelCount - 1 ? '' : ` Judged against ${rivals.join(', ')} only.`;
  const parts = [
    list('best') && `${subject} is significantly best at epoch ${list('best')}`,
    behind.length > 0 &&
      `significantly behind at epoch ${behind.map((e) => `${e.epoch} (${e.versus} better, ${pEquals(e.pValue as number)})`).join(', ')}`,
    list('undecided') && `not significantly different from the best other at epoch ${list('undecided')}`,
    list('untested') &&
      `not testable at epoch ${list('untested')} (fewer than ${MIN_PAIRED_SEEDS} paired seeds)`,
  ].filter(Boolean);
  const word = {
    supported: 'supported',
    contradicted: 'not supported',
    inconclusive: 'not supported (inconclusive)',
    untested: 'not tested',
  }[status];
  return {
    ...base,
    status,
    epochs,
    sentence:
      status === 'untested'
        ? `${resultSet}: the claim is **${word}**: fewer than ${MIN_PAIRED_SEEDS} paired seeds, so no judged p-value at epoch ${list('untested')}.`
        : `${resultSet}: the claim is **${word}**: ${parts.join('; ')} ` +
          `(${TEST_LABELS[PRIMARY_TEST]}, p < 0.05; supported means significantly best at every reported epoch ≤ ${CLAIM_EARLY_MAX_EPOCH}).${against}`,
  };
}

/**
 * Rows: initializers; columns: epochs; cells: p against the best other initializer. The lowest
 * mean is marked **best** where its p < 0.05, "lowest mean" where not.
 */
function pValueTable(verdicts: readonly EpochVerdict[], id: string): DocTable | null {
  // A table of "n/a" says nothing the sentences do not (one seed: no test anywhere).
  if (verdicts.every((v) => v.comparisons.every((c) => c.pValue === null))) return null;
  const labels = [...new Set(verdicts.flatMap((v) => v.ranking.map((s) => s.label)))];
  return {
    type: 'table',
    id,
    columns: [
      { key: 'initializer', label: 'initializer' },
      ...verdicts.map((v) => ({ key: `e${v.epoch}`, label: `p at epoch ${v.epoch} (vs)` })),
    ],
    rows: labels.map((label) => ({
      initializer: label,
      ...Object.fromEntries(
        verdicts.map((v) => {
          const c = v.comparisons.find((x) => x.label === label);
          if (c === undefined) return [`e${v.epoch}`, MISSING_MARK];
          const p = c.pValue === null ? 'n/a' : pWithDf(formatP(c.pValue), c.pairedSeeds.length);
          const mark = v.best !== label ? '' : v.significant.at05 ? '**best** ' : 'lowest mean, ';
          return [`e${v.epoch}`, { value: c.pValue, text: `${mark}${p} (${c.versus})` }];
        }),
      ),
    })),
  };
}

function significanceText(s: { at05: boolean; at01: boolean }): string {
  return s.at01
    ? 'significant at 0.01'
    : s.at05
      ? 'significant at 0.05, not at 0.01'
      : 'not significant at 0.05';
}

/** "p = 0.0031" or "p < 0.0001". */
function pEquals(p: number): string {
  const text = formatP(p);
  return text.startsWith('<') ? `p ${text}` : `p = ${text}`;
}

/** p to two significant digits, or "< 0.0001". */
export function formatP(p: number): string {
  if (p < 1e-4) return '< 0.0001';
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

function formatNumber(v: number, digits: number): string {
  return v === 0 ? '0' : v.toPrecision(digits);
}

function formatPercent(r: number): string {
  return `${(100 * r).toFixed(1)}%`;
}

/** A study's claim as it states it, and the name of what it is about (e.g. "NMF"). */
export interface StudyClaim {
  readonly statement: string;
  readonly subject: string;
}

/** The claim, how often it holds, then one verdict line per result set: as report blocks. */
export function claimSummaryBlocks(claim: StudyClaim, verdicts: readonly ResultSetVerdict[]): DocBlock[] {
  const counts = new Map<ClaimStatus, number>();
  for (const v of verdicts) counts.set(v.claim.status, (counts.get(v.claim.status) ?? 0) + 1);
  const tested = verdicts.filter(
    (v) => v.claim.status !== 'not-applicable' && v.claim.status !== 'untested',
  ).length;
  const untested = counts.get('untested') ?? 0;
  const untestedText = `${untested} result set${untested === 1 ? '' : 's'} with fewer than ${MIN_PAIRED_SEEDS} paired seeds`;
  return [
    { type: 'text', text: `**The seed's claim:** ${claim.statement}` },
    {
      type: 'text',
      text:
        tested === 0
          ? `Not tested: ${untested > 0 ? `${untestedText}, so no judged p-values` : `no result set has ${claim.subject} and another initializer`}.`
          : `Supported in ${counts.get('supported') ?? 0} of ${tested} result sets tested, contradicted in ` +
            `${counts.get('contradicted') ?? 0}, inconclusive in ${counts.get('inconclusive') ?? 0}` +
            `${untested > 0 ? `; not tested in ${untestedText}` : ''}.`,
    },
    { type: 'list', items: verdicts.map((v) => v.claim.sentence) },
  ];
}

/** The claim, then one verdict line per result set, as Markdown. */
export function claimSummaryMarkdown(claim: StudyClaim, verdicts: readonly ResultSetVerdict[]): string {
  return blocksMarkdown(claimSummaryBlocks(claim, verdicts));
}
