import { cpus } from 'node:os';
import {
  CLAIM_EARLY_MAX_EPOCH,
  claimSummaryBlocks,
  claimToJson,
  type DocBlock,
  type DocCell,
  type DocImage,
  type DocSection,
  type DocTable,
  datasets,
  formatMeanSd,
  htmlId,
  lossPlot,
  MIN_PAIRED_SEEDS,
  meanSd,
  PRIMARY_TEST,
  PRIMARY_TEST_REASON,
  type ReportDocument,
  type ResultSetVerdict,
  resultSetVerdict,
  STATISTICS_POLICY,
  type StoredRun,
  type StudyReportInput,
  TEST_LABELS,
  verdictBlocks,
  verdictToJson,
  WALL_TIME_NOTE,
  wallLabel,
} from 'nmfinit';
import { CLAIM_PLUGIN, SEED_CLAIM } from './claim.ts';
import { readDisplaySets } from './data.ts';
import { lossPanels, lossSeries, reconstructionImage } from './figures.ts';
import {
  type AutoencoderRun,
  expandResultSets,
  fileBase,
  type ResultSet,
  recipeName,
  recipeText,
  samplesText,
} from './grid.ts';
import { interactiveCurves, runIndex } from './interactive.ts';
import { methodImages } from './method-images.ts';
import { PCA_FOLDER, type PcaReference, pcaReferenceSchema } from './pca.ts';
import { type AutoencoderResult, type RunResult, valCurve } from './result.ts';
import { RESULTS_SCHEMA, type ResultsFile } from './results-schema.ts';
import { type AutoencoderSpec, displayNames, labelOf } from './spec.ts';
import { type Curves as TargetCurves, targetVerdict } from './target.ts';

type Input = StudyReportInput<AutoencoderSpec, AutoencoderRun, AutoencoderResult>;

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
    if (pairVerdict && spec.outputs.claim !== false)
      claims.set(pairName, { dataset: set.datasetLabel, samples: set.samples, verdict: pairVerdict });

    const series = lossSeries(byInit, set.epochs);
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
    const shown = display.get(set.datasetLabel);
    const reconstructions = shown ? reconstructionImage(set, byInit, shown, shownName) : null;

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
  const panelBlocks = [...panels.values()]
    .filter((list) => list.length >= 2)
    .map((list) => lossPanels(list, names))
    .reverse();

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
      { title: 'Verdict', blocks: verdictBlocksOf(claimVerdicts, parties, spec.outputs.claim !== false) },
      initializersSection(spec, runs),
      ...recipesSection(spec),
      ...targetSection(spec, runs, pca),
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
      ...verdictBlocks(verdict, `verdict-${htmlId(fileBase(set, 'loss'))}`, spec.outputs.claim !== false),
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
  // The target's baselines where the spec names them, else the claim's rivals, else everyone.
  const named = spec.outputs.target?.baselines ?? parties?.rivals;
  const baselines = named ? rows.filter((g) => named.includes(g.label)) : rows;
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
function targetSection(
  spec: AutoencoderSpec,
  runs: readonly RunResult[],
  pca: readonly PcaReference[],
): DocSection[] {
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
      const pcaErrors = new Map(
        pca
          .filter((p) => p.samples === s.count)
          .map((p) => [p.datasetLabel, { rank: p.rank, valMse: p.valMse }]),
      );
      subsections.push(
        targetVerdict(
          target,
          curves,
          epochs,
          `${s.count} samples${recipe ? `, ${recipeName(recipe)}` : ''}`,
          pcaErrors,
        ),
      );
    }
  }
  return [{ title: 'Target', blocks: [], subsections }];
}

/** The claim, its generated verdict per data set × samples, and how the statistics are made. */
function verdictBlocksOf(
  claims: readonly ResultSetVerdict[],
  parties: ReturnType<typeof claimParties>,
  judgeClaim: boolean,
): DocBlock[] {
  const test = TEST_LABELS[PRIMARY_TEST];
  const text = (t: string): DocBlock => ({ type: 'text', text: t });
  if (!judgeClaim)
    return [
      text(
        `This study does not judge the seed's claim (outputs.claim is false); what it judges is its target, below. ` +
          `Each result set ends with its own verdict: at each reported epoch ≥ 1, every initializer is compared ` +
          `with the best other initializer there by the two-sided ${test} across seeds. ${STATISTICS_POLICY}`,
      ),
    ];
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
