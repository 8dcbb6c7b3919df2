import { cpus } from 'node:os';
import {
  CLAIM_EARLY_MAX_EPOCH,
  claimSummaryBlocks,
  type DocBlock,
  type DocCell,
  type DocImage,
  type DocSection,
  type DocTable,
  datasets,
  formatMeanSd,
  htmlId,
  imageGrid,
  type LossSeries,
  lossPlot,
  MIN_PAIRED_SEEDS,
  meanSd,
  PRIMARY_TEST,
  PRIMARY_TEST_REASON,
  panelFigure,
  type ReportDocument,
  type ResultSetVerdict,
  resultSetVerdict,
  STATISTICS_POLICY,
  type StoredRun,
  type StudyReportInput,
  TEST_LABELS,
  TEST_NAMES,
  type TestName,
  verdictBlocks,
  WALL_TIME_NOTE,
  wallLabel,
  type z,
} from 'nmfinit';
import { CLAIM_PLUGIN, SEED_CLAIM } from './claim.ts';
import { readDisplaySets } from './data.ts';
import { type AutoencoderRun, expandResultSets, type ResultSet, recipeName, samplesLabel } from './grid.ts';
import { interactiveCurves, runIndex } from './interactive.ts';
import { methodImages } from './method-images.ts';
import { PCA_FOLDER, type PcaReference, pcaReferenceSchema } from './pca.ts';
import { reconstructionRows } from './recon-grid.ts';
import type { AutoencoderResult } from './result.ts';
import { type claimJson, RESULTS_SCHEMA, type ResultsFile, type verdictJson } from './results-schema.ts';
import { type AutoencoderSpec, displayNames, labelOf } from './spec.ts';
import { type Curves as TargetCurves, targetVerdict } from './target.ts';

type Input = StudyReportInput<AutoencoderSpec, AutoencoderRun, AutoencoderResult>;

/** A stored run with its result's fields at the top, as the report reads it. */
type RunResult = AutoencoderResult & { id: string; config: AutoencoderRun };

/** Validation loss at epochs 0..E of one run (epoch 0 = before training); NaN after divergence. */
function valCurve(run: RunResult, epochs: number): number[] {
  const curve = [run.history.initialValLoss, ...run.history.valLoss];
  return Array.from({ length: epochs + 1 }, (_, e) =>
    e < curve.length && curve[e] !== null ? curve[e] : Number.NaN,
  );
}

const fileBase = (set: ResultSet, kind: 'loss' | 'reconstruction') =>
  `${set.datasetLabel}_${kind}_${samplesLabel(set.samples)}_${set.epochs}${set.recipe ? `_${set.recipe}` : ''}`;

const recipeText = (set: ResultSet) => (set.recipe ? `, ${recipeName(set.recipe)}` : '');

const samplesText = (samples: number | 'all') => (samples === 'all' ? 'all' : String(samples));

/** Epochs of a result set's table: the spec's table epochs it reaches, and its last. */
function tableEpochs(spec: AutoencoderSpec, set: ResultSet): number[] {
  const epochs = spec.outputs.tableEpochs.filter((e) => e <= set.epochs);
  if (!epochs.includes(set.epochs)) epochs.push(set.epochs);
  return epochs;
}

/**
 * Whom the claim is about: the spec's first `nmf` initializer, judged against every initializer
 * of another plugin, so an ablation's NMF variants do not count for or against it.
 */
function claimParties(
  spec: AutoencoderSpec,
): { subject: string; rivals: string[]; variants: string[] } | null {
  const subject = spec.initializers.find((i) => i.name === CLAIM_PLUGIN);
  if (!subject) return null;
  return {
    subject: labelOf(subject),
    rivals: spec.initializers.filter((i) => i.name !== CLAIM_PLUGIN).map(labelOf),
    variants: spec.initializers.filter((i) => i.name === CLAIM_PLUGIN && i !== subject).map(labelOf),
  };
}

/** Per initializer label, per seed, the validation loss at epochs 0..set.epochs: the verdicts' input. */
type Curves = Record<string, Record<string, number[]>>;

function verdictOf(
  name: string,
  curves: Curves,
  epochs: readonly number[],
  parties: ReturnType<typeof claimParties>,
): ResultSetVerdict | null {
  const labels = Object.keys(curves);
  if (labels.length < 2) return null;
  return resultSetVerdict({
    resultSet: name,
    curves,
    epochs: epochs.filter((e) => e >= 1),
    claim: SEED_CLAIM.statement,
    // Without an NMF initializer the claim has no subject among the curves: not applicable.
    subject: parties?.subject ?? CLAIM_PLUGIN,
    ...(parties && { rivals: parties.rivals.filter((r) => labels.includes(r)) }),
  });
}

function claimToJson(c: ResultSetVerdict['claim']): z.infer<typeof claimJson> {
  return {
    status: c.status,
    subject: c.subject,
    rivals: [...c.rivals],
    epochs: c.epochs.map((e) => ({ ...e })),
    sentence: c.sentence,
  };
}

function testsToJson(tests: NonNullable<ResultSetVerdict['epochs'][number]['comparisons'][number]['tests']>) {
  const out = {} as Record<TestName, { pValue: number; statistic: number | null }>;
  for (const t of TEST_NAMES) out[t] = { pValue: tests[t].pValue, statistic: finite(tests[t].statistic) };
  return out;
}

function verdictToJson(v: ResultSetVerdict): z.infer<typeof verdictJson> {
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

/**
 * The report of the runs given: every figure, results.json's content and the text. Every number
 * in them comes from those runs and PCA references.
 */
export async function autoencoderDocument(input: Input): Promise<ReportDocument> {
  const { spec, artifacts } = input;
  const runs: RunResult[] = input.runs.map((r: StoredRun<AutoencoderRun, AutoencoderResult>) => ({
    ...r.result,
    id: r.id,
    config: r.config,
  }));
  const pca: PcaReference[] = artifacts.list(PCA_FOLDER).map((f) => artifacts.read(f, pcaReferenceSchema));
  const display = readDisplaySets(artifacts);
  const sets = expandResultSets(spec);
  const setSections: DocSection[] = [];
  const panelBlocks: DocBlock[] = [];
  const setEntries: ResultsFile['resultSets'] = [];
  const parties = claimParties(spec);
  // The claim, once per data set × samples: from its longest result set, whose epochs ≤ 10 every shorter one shares.
  const claims = new Map<string, { dataset: string; samples: number | 'all'; verdict: ResultSetVerdict }>();
  const names = displayNames(spec.datasets, (n) => (datasets.has(n) ? datasets.get(n) : undefined));
  // Every figure gives an initializer the colour and marker of its place in the spec.
  const styleOrder = spec.initializers.map(labelOf);
  // The loss plots of each data set (and recipe), for its one-page panel figure.
  const panels = new Map<string, { set: ResultSet; svg: string }[]>();

  for (const set of sets) {
    const inSet = runs.filter(
      (r) =>
        r.config.datasetLabel === set.datasetLabel &&
        r.config.samples === set.samples &&
        r.config.recipe === set.recipe,
    );
    if (inSet.length === 0) continue;
    const ref = pca.find((p) => p.datasetLabel === set.datasetLabel && p.samples === set.samples);
    const byInit = spec.initializers.map((init) => ({
      label: labelOf(init),
      runs: inSet
        .filter((r) => r.config.initializerLabel === labelOf(init))
        .sort((a, b) => a.config.seed - b.config.seed),
    }));
    // n is what is there, not what the grid asked for: a missing run must not be quoted as present.
    const counts = byInit.map((g) => g.runs.length).filter((n) => n > 0);
    const seeds = { min: Math.min(...counts), max: Math.max(...counts) };
    const seedsText = seeds.min === seeds.max ? `${seeds.max} seeds` : `${seeds.min}–${seeds.max} seeds`;

    const curves: Curves = Object.fromEntries(
      byInit
        .filter((g) => g.runs.length > 0)
        .map((g) => [
          g.label,
          Object.fromEntries(g.runs.map((r) => [String(r.config.seed), valCurve(r, set.epochs)])),
        ]),
    );
    const epochs = tableEpochs(spec, set);
    const setName = `${set.datasetLabel}, ${samplesText(set.samples)} samples, ${set.epochs} epochs`;
    const verdict = verdictOf(setName, curves, epochs, parties);
    const pairName = `${set.datasetLabel}, ${samplesText(set.samples)} samples`;
    const pairVerdict = verdictOf(pairName, curves, epochs, parties);
    if (pairVerdict)
      claims.set(pairName, { dataset: set.datasetLabel, samples: set.samples, verdict: pairVerdict });

    // Loss-drop plot: mean across seeds, a ±sd band where there are several.
    const series: LossSeries[] = byInit
      .filter((g) => g.runs.length > 0)
      .map((g) => {
        const curves = g.runs.map((r) => valCurve(r, set.epochs));
        const stats = Array.from({ length: set.epochs + 1 }, (_, e) => meanSd(curves.map((c) => c[e])));
        // Where the line ends: the first recorded divergence, or an earlier non-finite point
        // (a loss that is already infinite at initialization).
        const firstNonFinite = stats.findIndex((x) => !Number.isFinite(x.mean));
        const divergedAt = [
          ...g.runs.map((r) => r.diverged?.epoch),
          firstNonFinite >= 0 ? firstNonFinite : undefined,
        ]
          .filter((e): e is number => e !== undefined && e <= set.epochs)
          .sort((a, b) => a - b)[0];
        const epochs = stats.map((_, e) => e);
        const s: LossSeries = { label: g.label, epochs, mean: stats.map((x) => x.mean) };
        if (g.runs.length > 1) {
          // The band spans the seeds (min to max): honest when one seed is stuck, and always
          // positive on the log axis, which mean − sd is not.
          const finiteAt = (e: number) => curves.map((c) => c[e]).filter(Number.isFinite);
          s.lower = stats.map((_, e) => Math.min(...finiteAt(e)));
          s.upper = stats.map((_, e) => Math.max(...finiteAt(e)));
        }
        if (divergedAt !== undefined) s.divergedAtEpoch = divergedAt;
        return s;
      });
    const shownName = names.get(set.datasetLabel) ?? set.datasetLabel;
    const title = `${shownName}: ${samplesText(set.samples)} samples, ${set.epochs} epochs${recipeText(set)}`;
    const subtitle = seeds.max > 1 ? `mean of ${seedsText}; band: lowest to highest seed` : '1 seed';
    const plot = await lossPlot({
      title,
      subtitle,
      series,
      reference: ref
        ? { label: `PCA rank ${ref.rank} (${ref.valMse.toPrecision(3)})`, value: ref.valMse }
        : undefined,
      logY: spec.outputs.lossScale === 'auto' ? undefined : spec.outputs.lossScale === 'log',
      styleOrder,
    });
    const panelKey = `${set.datasetLabel}|${set.recipe ?? ''}`;
    panels.set(panelKey, [...(panels.get(panelKey) ?? []), { set, svg: plot.svg }]);
    const loss: DocImage = {
      type: 'image',
      file: fileBase(set, 'loss'),
      alt: 'loss',
      ...plot,
      interactive: interactiveCurves(spec, set, byInit, ref, names.get(set.datasetLabel) ?? set.datasetLabel),
    };
    let reconstructions: DocImage | null = null;

    // Reconstruction grid: the originals, then per initializer its first seed at epoch 0 and
    // after set.epochs, each row with its MSE on the images shown.
    const shown = display.get(set.datasetLabel);
    if (shown) {
      const groups = byInit.filter((g) => g.runs[0]).map((g) => ({ label: g.label, run: g.runs[0] }));
      const seedsShown = [...new Set(groups.map((g) => g.run.config.seed))];
      const { rows } = reconstructionRows(
        shown.originals,
        shown.imageShape as [number, number],
        groups.map((g) => ({
          label: seedsShown.length > 1 ? `${g.label} (seed ${g.run.config.seed})` : g.label,
          snapshots: g.run.snapshots,
        })),
        [0, set.epochs],
      );
      const grid = imageGrid({
        rows,
        imageShape: shown.imageShape as [number, number],
        scale: 3,
        columnLabels: shown.columnLabels,
        title: `${shownName}: reconstructions at initialization and after ${set.epochs} epochs (${samplesText(set.samples)} samples${recipeText(set)}${seedsShown.length === 1 ? `, seed ${seedsShown[0]}` : ''})`,
      });
      const file = fileBase(set, 'reconstruction');
      reconstructions = { type: 'image', file, alt: 'reconstructions', title: file, ...grid };
    }

    setEntries.push({
      dataset: set.datasetLabel,
      samples: set.samples,
      epochs: set.epochs,
      seeds: seeds.max,
      lossPlot: `${fileBase(set, 'loss')}.png`,
      reconstructionGrid: `${fileBase(set, 'reconstruction')}.png`,
      verdict: verdict ? verdictToJson(verdict) : null,
    });
    setSections.push(
      resultSetSection(set, epochs, byInit, ref, seeds.max > 1 ? seedsText : null, verdict, spec, parties, [
        loss,
        ...(reconstructions === null ? [] : [reconstructions]),
      ]),
    );
  }

  // One page per data set (and recipe): its loss plots, samples down and epochs across, as the
  // seed's README lays them out.
  for (const list of panels.values()) {
    if (list.length < 2) continue;
    const samples = [...new Set(list.map((p) => p.set.samples))];
    const epochs = [...new Set(list.map((p) => p.set.epochs))].sort((a, b) => a - b);
    const first = list[0].set;
    const figure = panelFigure({
      title: `${names.get(first.datasetLabel) ?? first.datasetLabel}: validation MSE per epoch${recipeText(first)}`,
      panels: samples.map((n) =>
        epochs.map((e) => list.find((p) => p.set.samples === n && p.set.epochs === e)?.svg ?? null),
      ),
      rowLabels: samples.map((n) => `${samplesText(n)} training samples`),
      columnLabels: epochs.map((e) => `${e} epochs`),
    });
    const name = `${first.datasetLabel}_loss_panels${first.recipe ? `_${first.recipe}` : ''}`;
    panelBlocks.unshift({
      type: 'image',
      file: name,
      alt: `${names.get(first.datasetLabel) ?? first.datasetLabel}: all loss plots`,
      ...figure,
    });
  }

  // The method's own images: NMF factors and PCA components, from the artifacts prepare kept.
  const methodBlocks: DocBlock[] = [];
  for (const m of methodImages(spec, artifacts, display, names))
    methodBlocks.push(
      { type: 'text', text: `**${m.title}.** ${m.caption}` },
      { type: 'image', file: m.name, alt: m.name, title: m.title, ...(await m.draw()) },
    );

  const results: ResultsFile = {
    schema: RESULTS_SCHEMA,
    generatedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      backends: [...new Set(runs.map((r) => r.config.backend))].sort(),
    },
    spec: spec as unknown as ResultsFile['spec'],
    pca: [...pca],
    runs: runs.map((r) => ({
      id: r.id,
      dataset: r.config.datasetLabel,
      samples: r.config.samples,
      initializer: r.config.initializerLabel,
      initializerParams: r.config.initializer.params,
      seed: r.config.seed,
      backend: r.config.backend,
      epochs: r.config.epochs,
      trainSamples: r.trainSamples,
      valSamples: r.valSamples,
      initialLoss: finite(r.history.initialLoss),
      initialValLoss: finite(r.history.initialValLoss),
      loss: r.history.loss.map(finite),
      valLoss: r.history.valLoss.map(finite),
      testMse: r.snapshots.map((s) => ({ epoch: s.epoch, mse: finite(s.testMse) })),
      diverged: r.diverged ? { ...r.diverged, loss: finite(r.diverged.loss) } : null,
      initializerSeconds: r.timing.initializerSeconds,
      trainingSeconds: r.timing.trainingSeconds,
    })),
    resultSets: setEntries,
    claim: {
      statement: SEED_CLAIM.statement,
      test: PRIMARY_TEST,
      testReason: PRIMARY_TEST_REASON,
      resultSets: [...claims.values()].map((c) => ({
        dataset: c.dataset,
        samples: c.samples,
        verdict: claimToJson(c.verdict.claim),
      })),
    },
  };
  const claimVerdicts = [...claims.values()].map((c) => c.verdict);
  return {
    title: spec.name,
    description: spec.description,
    intro: introBlocks(spec, runs),
    sections: [
      { title: 'Verdict', blocks: verdictBlocksOf(claimVerdicts, parties) },
      initializersSection(spec, runs),
      ...recipesSection(spec),
      ...targetSection(spec, runs),
      { title: 'Result sets', blocks: panelBlocks, subsections: setSections },
      ...(methodBlocks.length > 0 ? [{ title: "The method's own images", blocks: methodBlocks }] : []),
    ],
    meta: [
      { label: 'model', value: `${spec.model.sizes.join('-')} (${spec.model.hidden}, ${spec.model.output})` },
    ],
    runs: runIndex(input),
    results,
  };
}

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

function resultSetSection(
  set: ResultSet,
  epochs: readonly number[],
  byInit: { label: string; runs: RunResult[] }[],
  ref: PcaReference | undefined,
  seedsText: string | null,
  verdict: ResultSetVerdict | null,
  spec: AutoencoderSpec,
  parties: ReturnType<typeof claimParties>,
  figures: readonly DocImage[],
): DocSection {
  const rows = byInit.filter((g) => g.runs.length > 0);
  const reach = reachThreshold(spec, set, rows, parties);
  const threshold = reach?.value;
  const cells = rows.map((g) => epochs.map((e) => g.runs.map((r) => valCurve(r, set.epochs)[e])));
  // Bold only where the statistics back it: the verdict's best at that epoch, significant at 0.05.
  // Epoch 0 (before training) has no verdict, so it is never bold.
  const best = epochs.map((e) => {
    const v = verdict?.epochs.find((x) => x.epoch === e);
    return v?.significant.at05 ? rows.findIndex((g) => g.label === v.best) : -1;
  });
  const thresholdLabel = reach ? `epochs to val MSE ≤ ${reach.value.toPrecision(3)} (${reach.source})` : null;
  const meanCell = (values: number[], bold = false): DocCell => {
    const finiteValues = values.filter(Number.isFinite);
    return {
      value: finiteValues.length > 0 ? meanSd(finiteValues).mean : null,
      text: formatMeanSd(values, 3),
      ...(bold && { bold }),
    };
  };
  const table: DocTable = {
    type: 'table',
    id: `table-${htmlId(fileBase(set, 'loss'))}`,
    columns: [
      { key: 'initializer', label: 'initializer' },
      { key: 'seeds', label: 'seeds', only: 'html' },
      ...epochs.map((e) => ({ key: `e${e}`, label: `epoch ${e}`, align: 'right' as const })),
      { key: 'train', label: `train @ ${set.epochs}`, only: 'html' },
      { key: 'test', label: `test MSE @ ${set.epochs}`, align: 'right' },
      ...(thresholdLabel ? [{ key: 'reach', label: thresholdLabel, align: 'right' as const }] : []),
      { key: 'diverged', label: 'diverged', only: 'html' },
    ],
    rows: rows.map((g, i) => ({
      initializer: g.label,
      seeds: g.runs.length,
      ...Object.fromEntries(epochs.map((e, j) => [`e${e}`, meanCell(cells[i][j], best[j] === i)])),
      train: meanCell(
        g.runs.map((r) => {
          const loss = set.epochs >= 1 ? r.history.loss[set.epochs - 1] : r.history.initialLoss;
          return loss ?? Number.NaN;
        }),
      ),
      diverged: g.runs.filter((r) => r.diverged && r.diverged.epoch <= set.epochs).length,
      test: meanCell(
        g.runs.map((r) => r.snapshots.find((s) => s.epoch === set.epochs)?.testMse ?? Number.NaN),
      ),
      ...(threshold === undefined ? {} : { reach: epochsToReach(g.runs, set.epochs, threshold) }),
    })),
  };
  const blocks: DocBlock[] = [
    {
      type: 'text',
      text: `Validation MSE per epoch (epoch 0 = at initialization)${
        seedsText
          ? `, mean ± sd over ${seedsText}; in bold, the lowest mean at an epoch where the ${TEST_LABELS[PRIMARY_TEST]} against the runner-up gives p < 0.05 over at least ${MIN_PAIRED_SEEDS} paired seeds (never epoch 0).`
          : ', one seed, so no test and nothing in bold.'
      }`,
    },
    table,
  ];
  if (ref)
    blocks.push({
      type: 'text',
      text: `PCA reference (rank ${ref.rank}, fitted on the ${ref.trainSamples} training samples): validation MSE ${ref.valMse.toPrecision(4)}, training MSE ${ref.trainMse.toPrecision(4)}.`,
    });
  for (const g of rows)
    for (const r of g.runs.filter((r) => r.diverged && r.diverged.epoch <= set.epochs))
      blocks.push({
        type: 'text',
        text: `Run ${r.id} diverged at epoch ${r.diverged!.epoch}; its line ends there.`,
      });
  if (verdict)
    blocks.push(
      {
        type: 'text',
        text: `**Verdict** (generated from the runs; p: ${TEST_LABELS[PRIMARY_TEST]} across seeds, each initializer against the best other at that epoch):`,
      },
      ...verdictBlocks(verdict, `verdict-${htmlId(fileBase(set, 'loss'))}`),
    );
  blocks.push(...figures);
  return {
    title: `${set.datasetLabel} — ${set.samples === 'all' ? 'all' : set.samples} training samples, ${set.epochs} epochs${recipeText(set)}`,
    blocks,
  };
}

/** The epoch at which the threshold column is read: the best baseline's loss there is the default threshold. */
export const REACH_EPOCH = 10;

/**
 * The validation MSE of the "epochs to" column and where it comes from: the spec's lossThreshold,
 * or else the lowest mean among the baselines (the claim's rivals; without a claim, every
 * initializer) at epoch 10 (or the set's last, if earlier). The PCA reference it once was is
 * out of reach of every initializer in tens of epochs, so the column read "not within N" in every row.
 */
export function reachThreshold(
  spec: AutoencoderSpec,
  set: ResultSet,
  rows: readonly { label: string; runs: RunResult[] }[],
  parties: ReturnType<typeof claimParties>,
): { value: number; source: string } | undefined {
  if (spec.outputs.lossThreshold !== undefined)
    return { value: spec.outputs.lossThreshold, source: "the spec's lossThreshold" };
  const at = Math.min(REACH_EPOCH, set.epochs);
  const baselines = parties ? rows.filter((g) => parties.rivals.includes(g.label)) : rows;
  let best: { value: number; source: string } | undefined;
  for (const g of baselines) {
    const m = meanSd(g.runs.map((r) => valCurve(r, set.epochs)[at])).mean;
    if (Number.isFinite(m) && (best === undefined || m < best.value))
      best = { value: m, source: `best baseline at epoch ${at}: ${g.label}` };
  }
  return best;
}

/** The first epoch at which the mean validation MSE across seeds is at most `threshold`, or "not reached". */
function epochsToReach(runs: RunResult[], epochs: number, threshold: number): string {
  for (let e = 0; e <= epochs; e++) {
    const m = meanSd(runs.map((r) => valCurve(r, epochs)[e])).mean;
    if (m <= threshold) return String(e);
  }
  return `not within ${epochs}`;
}

/** The model, the training and the runs, under the title. */
function introBlocks(spec: AutoencoderSpec, runs: readonly RunResult[]): DocBlock[] {
  const maxEpochs = Math.max(...spec.grid.epochs);
  const shorter = spec.grid.epochs.filter((e) => e < maxEpochs);
  const totalTrain = runs.reduce((s, r) => s + r.timing.trainingSeconds, 0);
  const backends = [...new Set(runs.map((r) => r.config.backend))].join(', ');
  return [
    {
      type: 'text',
      text:
        `Autoencoder ${spec.model.sizes.join('-')} (${spec.model.hidden} hidden, ${spec.model.output} output), ` +
        `${spec.training.optimizer.name} ${JSON.stringify(spec.training.optimizer)}, ${spec.training.loss} loss, batch ${spec.training.batchSize}, ` +
        `the last ${spec.training.validationSplit} of the given samples held out for validation (Keras validation_split), ${spec.training.shuffle ? 'shuffled' : 'not shuffled'} each epoch.`,
    },
    {
      type: 'text',
      text: `${runs.length} runs on backend ${backends}; training took ${totalTrain < 60 ? `${totalTrain.toFixed(1)} s` : `${(totalTrain / 60).toFixed(1)} min`} of worker time in all.`,
    },
    ...(shorter.length > 0
      ? [
          {
            type: 'text' as const,
            text: `The ${shorter.join(', ')}-epoch result sets are the first epochs of the ${maxEpochs}-epoch runs with the same seed (identical by construction: training is deterministic per seed and backend), including their reconstructions, which were recorded after that epoch.`,
          },
        ]
      : []),
  ];
}

/** What each initializer costs: its own time, an epoch's, the whole training's. */
function initializersSection(spec: AutoencoderSpec, runs: readonly RunResult[]): DocSection {
  const cell = (values: number[], digits: number): DocCell => ({
    value: meanSd(values).mean,
    text: formatMeanSd(values, digits),
  });
  const rows = spec.initializers.map((init) => {
    const rs = runs.filter((r) => r.config.initializerLabel === labelOf(init));
    const initS = rs.map((r) => r.timing.initializerSeconds);
    const epochS = rs.map((r) => r.timing.trainingSeconds / Math.max(1, r.history.loss.length));
    // A start is only free if it costs less than the training it is meant to save.
    const costly = rs.filter((_, i) => initS[i] > epochS[i]).length;
    return {
      initializer: labelOf(init),
      params: `\`${JSON.stringify(init.params)}\``,
      init: cell(initS, 2),
      epoch: cell(epochS, 2),
      training: cell(
        rs.map((r) => r.timing.trainingSeconds),
        1,
      ),
      note: costly > 0 ? `costs more than an epoch in ${costly} of ${rs.length} runs` : '',
    };
  });
  return {
    title: 'Initializers',
    blocks: [
      { type: 'text', text: WALL_TIME_NOTE },
      {
        type: 'table',
        id: 'initializers',
        columns: [
          { key: 'initializer', label: 'initializer' },
          { key: 'params', label: 'parameters' },
          { key: 'init', label: wallLabel('initializer'), align: 'right' },
          { key: 'epoch', label: wallLabel('one epoch'), align: 'right' },
          { key: 'training', label: wallLabel('training'), align: 'right' },
          { key: 'note', label: 'note' },
        ],
        rows,
      },
    ],
  };
}

function recipesSection(spec: AutoencoderSpec): DocSection[] {
  if (!spec.grid.recipes) return [];
  return [
    {
      title: 'Training recipes',
      blocks: [
        {
          type: 'text',
          text: 'Every initializer runs under every recipe: `training` with these fields replaced.',
        },
        {
          type: 'list',
          items: spec.grid.recipes.map((r) => `**${r.label}**: \`${JSON.stringify(r.training)}\``),
        },
      ],
    },
  ];
}

/** The target's verdict per sample count and recipe, over the data sets of the spec. */
function targetSection(spec: AutoencoderSpec, runs: readonly RunResult[]): DocSection[] {
  const target = spec.outputs.target;
  if (!target) return [];
  const maxEpochs = Math.max(...spec.grid.epochs);
  const epochs = spec.outputs.tableEpochs.filter((e) => e >= 1 && e <= maxEpochs);
  const subsections: DocSection[] = [];
  for (const s of spec.grid.samples) {
    for (const recipe of spec.grid.recipes?.map((r) => r.label) ?? [undefined]) {
      const curves: TargetCurves = new Map();
      for (const r of runs) {
        if (r.config.samples !== s.count || r.config.recipe !== recipe) continue;
        const byInit = curves.get(r.config.datasetLabel) ?? new Map();
        curves.set(r.config.datasetLabel, byInit);
        const bySeed = byInit.get(r.config.initializerLabel) ?? new Map();
        byInit.set(r.config.initializerLabel, bySeed);
        bySeed.set(r.config.seed, valCurve(r, maxEpochs));
      }
      if (curves.size === 0) continue;
      subsections.push(
        targetVerdict(target, curves, epochs, `${s.count} samples${recipe ? `, ${recipeName(recipe)}` : ''}`),
      );
    }
  }
  return [{ title: 'Target', blocks: [], subsections }];
}

/** The claim, its generated verdict per data set × samples, and how the statistics are made. */
function verdictBlocksOf(
  claims: readonly ResultSetVerdict[],
  parties: ReturnType<typeof claimParties>,
): DocBlock[] {
  const test = TEST_LABELS[PRIMARY_TEST];
  const text = (t: string): DocBlock => ({ type: 'text', text: t });
  return [
    ...(claims.length > 0
      ? claimSummaryBlocks(SEED_CLAIM, claims)
      : [text(`**The seed's claim:** ${SEED_CLAIM.statement}`)]),
    text(
      `Each result set below ends with its own verdict. How they are computed: at each reported epoch ≥ 1, ` +
        `every initializer is compared with the best other initializer there (the lowest mean validation MSE ` +
        `among the rest), by the two-sided ${test} across seeds. ${STATISTICS_POLICY} ` +
        `results.json also holds ${TEST_LABELS['welch-t']}, the ${TEST_LABELS['mann-whitney-u']} and the ` +
        `${TEST_LABELS['wilcoxon-signed-rank']} for every comparison.`,
    ),
    text(
      parties
        ? `The claim is judged for '${parties.subject}' against ${parties.rivals.length > 0 ? parties.rivals.map((r) => `'${r}'`).join(', ') : 'no other method'}` +
            `${parties.variants.length > 0 ? ` (the NMF variants ${parties.variants.map((r) => `'${r}'`).join(', ')} are left out of the claim, not of the verdicts)` : ''}, ` +
            `at the reported epochs 1–${CLAIM_EARLY_MAX_EPOCH}, once per data set and sample count: the shorter result sets are the first epochs of the same runs.`
        : 'No initializer of the spec is NMF, so the claim is not judged.',
    ),
  ];
}
