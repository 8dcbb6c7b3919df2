import { join } from 'node:path';
import {
  Adam,
  autoencoder,
  EarlyStopping,
  encodeFloat32,
  evaluate,
  fit,
  type History,
  initializerData,
  initializers,
  learningRateSchedule,
  nmfinitProvenance,
  type Optimizer,
  type Parameter,
  type RateControl,
  Rng,
  type RunContext,
  type Sequential,
  Sgd,
  sampleTrainingRows,
  saveSafetensors,
  Tensor,
  TrainingDivergedError,
  validationSplitIndex,
} from 'nmfinit';
import { restoreCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { AutoencoderRun } from './grid.ts';
import type { AutoencoderResult, RunSnapshot } from './result.ts';
import type { AutoencoderSpec } from './spec.ts';

/** The arrays a run reads: shared between runs (and threads), never written. */
export interface RunData {
  train: { images: Float32Array; count: number };
  test: { images: Float32Array; count: number };
  dim: number;
  displayIndices: number[];
}

/**
 * Trains one run from its config: initializer, fit, and at every snapshot epoch the test MSE
 * and the reconstructions of the display images. Divergence is recorded, not thrown. With a
 * checkpoint every N epochs, an interrupted run resumes from its newest good checkpoint and
 * ends with the numbers of an uninterrupted one.
 */
export async function executeRun(
  config: AutoencoderRun,
  data: RunData,
  ctx: RunContext,
): Promise<AutoencoderResult> {
  const { emit, backend } = ctx;
  const model = autoencoder(backend, config.model.sizes, {
    hidden: config.model.hidden,
    output: config.model.output,
  });

  // Streams: the initializer's depends on the seed and the initializer; the shuffle order only
  // on the seed, so every initializer of a seed sees the same batches (a controlled comparison).
  const root = ctx.rng;
  const log = (message: string) => emit({ type: 'log', message });
  const n = config.samples === 'all' ? data.train.count : config.samples;
  if (n > data.train.count) {
    throw new RangeError(
      `${config.id}: asks for ${n} training samples, the data set has ${data.train.count}`,
    );
  }
  // Keras' split: the first `trainRows` of the n samples train, the rest validate. A data-aware
  // initializer is given rows of the training part only.
  const trainRows = validationSplitIndex(n, config.training.validationSplit);
  const optimizer = makeOptimizer(
    config.training.optimizer,
    model,
    rateControl(config.training, model, {
      batchesPerEpoch: Math.ceil(trainRows / config.training.batchSize),
      epochs: config.epochs,
    }),
  );
  const es = config.training.callbacks?.find((c) => c.name === 'early-stopping');
  const earlyStopping = es ? new EarlyStopping(model, es) : null;
  const every = config.checkpointEvery;
  const restored = every ? restoreCheckpoint(ctx.checkpoints, model, optimizer, earlyStopping, log) : null;
  if (restored) log(`resumed from the checkpoint after epoch ${restored.epoch} (${restored.file})`);
  let initializerSeconds = restored?.initializerSeconds ?? 0;
  if (!restored) {
    const plugin = initializers.get(config.initializer.name);
    const params = initializers.parseParams(plugin, config.initializer.params);
    const layers = model.layerSpecs();
    const t0 = performance.now();
    const initData = plugin.data
      ? initializerData(
          backend,
          layers,
          sampleTrainingRows(
            data.train.images,
            trainRows,
            data.dim,
            config.initData?.samples ?? DEFAULT_INIT_SAMPLES,
            root.child('init-data'),
          ),
          { forward: plugin.data.forward },
        )
      : undefined;
    const weights = await plugin.init({
      layers,
      params,
      rng: root.child(`init/${config.initializer.name}`),
      cacheDir: ctx.cacheDir,
      log,
      ...(initData ? { data: initData } : {}),
    });
    model.setWeights(weights, `initializer '${config.initializer.name}'`);
    initializerSeconds = (performance.now() - t0) / 1000;
  }

  const x = new Tensor(data.train.images.subarray(0, n * data.dim), [n, data.dim]);
  const test = new Tensor(data.test.images.subarray(0, data.test.count * data.dim), [
    data.test.count,
    data.dim,
  ]);
  const display = gatherRows(data.test.images, data.dim, data.displayIndices);

  const snapshots: RunSnapshot[] = [...(restored?.snapshots ?? [])];
  const snapshot = (epoch: number) => {
    if (!config.snapshotEpochs.includes(epoch)) return;
    snapshots.push(takeSnapshot(model, epoch, test, display, config.training.batchSize));
  };
  if (!restored) snapshot(0);
  const rng = restored ? Rng.fromState(restored.rng) : root.child('shuffle');

  let history: History;
  let diverged: AutoencoderResult['diverged'] = null;
  let batches = 0;
  try {
    history = fit(model, x, x, {
      epochs: config.epochs,
      batchSize: config.training.batchSize,
      shuffle: config.training.shuffle,
      validationSplit: config.training.validationSplit,
      loss: config.training.loss,
      optimizer,
      rng,
      resume: restored?.resume,
      callbacks: [
        {
          onTrainBegin: (info) => {
            batches = info.batchesPerEpoch;
          },
          onBatchEnd: (epoch, batch) =>
            emit({ type: 'progress', fraction: (epoch - 1 + batch / batches) / config.epochs }),
          onEpochEnd: (logs) => {
            emit({
              type: 'epoch',
              epoch: logs.epoch,
              epochs: config.epochs,
              loss: logs.loss,
              valLoss: logs.valLoss,
            });
            snapshot(logs.epoch);
            return undefined;
          },
        },
        ...(earlyStopping ? [earlyStopping] : []),
        {
          // Last, so the state saved includes early stopping's update for this epoch.
          onEpochEnd: (logs, h, state) => {
            if (!every || logs.epoch % every !== 0 || logs.epoch >= config.epochs) return undefined;
            saveCheckpoint(ctx.checkpoints, {
              epoch: logs.epoch,
              model,
              optimizer,
              rng,
              order: state.order,
              history: {
                loss: h.loss,
                valLoss: h.valLoss,
                initialLoss: h.initialLoss,
                initialValLoss: h.initialValLoss,
              },
              snapshots,
              earlyStopping,
              initializerSeconds,
            });
            return undefined;
          },
        },
      ],
    });
  } catch (e) {
    if (!(e instanceof TrainingDivergedError)) throw e;
    history = e.history;
    diverged = { epoch: e.epoch, batch: e.batch, loss: e.loss };
    emit({ type: 'log', message: e.message });
  }

  const stopped =
    earlyStopping && earlyStopping.stoppedEpoch > 0
      ? {
          stoppedEpoch: earlyStopping.stoppedEpoch,
          bestEpoch: earlyStopping.bestEpoch,
          restoredBestWeights: earlyStopping.restoreBestWeights,
          testMse: evaluate(model, test, test, { batchSize: config.training.batchSize }),
        }
      : undefined;
  if (stopped) log(`early stopping at epoch ${stopped.stoppedEpoch} (best epoch ${stopped.bestEpoch})`);
  if (config.exports?.weights === 'safetensors')
    exportWeights(model, config, ctx.dir, history, diverged, stopped);
  model.dispose();
  return {
    trainSamples: history.trainSamples,
    valSamples: history.valSamples,
    history: {
      loss: history.loss,
      valLoss: history.valLoss,
      initialLoss: history.initialLoss ?? Number.NaN,
      initialValLoss: history.initialValLoss ?? Number.NaN,
    },
    diverged,
    displayIndices: data.displayIndices,
    snapshots,
    timing: { initializerSeconds, trainingSeconds: history.seconds },
    ...(stopped ? { earlyStopping: stopped } : {}),
  };
}

/**
 * The trained weights as `<dir>/weights/<run id>.safetensors`: tensors `dense_<i>/kernel`
 * (fanIn × fanOut, y = act(x·kernel + bias)) and `dense_<i>/bias`, float32, with the run, its
 * activations and nmfinit's version in the metadata.
 */
function exportWeights(
  model: Sequential,
  config: AutoencoderRun,
  dir: string,
  history: History,
  diverged: AutoencoderResult['diverged'],
  stopped: AutoencoderResult['earlyStopping'],
): void {
  const p = nmfinitProvenance();
  saveSafetensors(
    join(dir, 'weights', `${config.id}.safetensors`),
    model.parameters.map((q) => ({ name: q.name, shape: q.value.shape, data: q.value.data })),
    {
      format: 'nmfinit',
      run: config.id,
      dataset: config.datasetLabel,
      initializer: config.initializerLabel,
      seed: String(config.seed),
      activations: model.layers.map((l) => l.activation).join(','),
      epochs: String(history.loss.length),
      ...(stopped?.restoredBestWeights ? { restored_best_epoch: String(stopped.bestEpoch) } : {}),
      ...(diverged ? { diverged_at_epoch: String(diverged.epoch) } : {}),
      nmfinit: p.version,
      ...(p.commit ? { commit: p.commit } : {}),
    },
  );
}

function takeSnapshot(
  model: Sequential,
  epoch: number,
  test: Tensor,
  display: Tensor,
  batchSize: number,
): RunSnapshot {
  return {
    epoch,
    testMse: evaluate(model, test, test, { batchSize }),
    reconstructions: encodeFloat32(model.predict(display).data),
  };
}

/** Rows a data-aware initializer sees when the config does not say (older configs). */
const DEFAULT_INIT_SAMPLES = 1000;

export function makeOptimizer(
  spec: AutoencoderSpec['training']['optimizer'],
  model: Sequential,
  control: RateControl = {},
): Optimizer {
  const allocate = (n: number) => model.allocate(n);
  switch (spec.name) {
    case 'adam':
      return new Adam(spec, allocate, control);
    case 'sgd':
      return new Sgd(spec, allocate, control);
  }
}

/**
 * The spec's schedule in updates (epochs × batches per epoch) and its layer groups as
 * per-parameter multipliers. Layer −1 is the output layer; resolvePluginParamsAndCheckModel has checked the indices.
 */
export function rateControl(
  training: AutoencoderSpec['training'],
  model: Sequential,
  run: { batchesPerEpoch: number; epochs: number },
): RateControl {
  const control: { schedule?: RateControl['schedule']; multipliers?: Map<Parameter, number> } = {};
  const s = training.schedule;
  if (s) {
    const after = Math.max(1, run.epochs * run.batchesPerEpoch - s.warmupSteps);
    const d = s.decay;
    control.schedule = learningRateSchedule({
      warmupSteps: s.warmupSteps,
      decay:
        d.name === 'constant'
          ? d
          : d.name === 'step'
            ? { name: 'step', everySteps: d.everyEpochs * run.batchesPerEpoch, factor: d.factor }
            : {
                name: 'cosine',
                steps: d.epochs === undefined ? after : d.epochs * run.batchesPerEpoch,
                minFactor: d.minFactor,
              },
    });
  }
  if (training.parameterGroups) {
    const multipliers = new Map<Parameter, number>();
    const count = model.layers.length;
    for (const g of training.parameterGroups) {
      for (const index of g.layers) {
        const layer = model.layers[index < 0 ? count + index : index];
        if (!layer) throw new RangeError(`parameterGroups: layer ${index} is not in a ${count}-layer model`);
        if (g.params !== 'bias') multipliers.set(layer.kernel, g.multiplier);
        if (g.params !== 'kernel') multipliers.set(layer.bias, g.multiplier);
      }
    }
    control.multipliers = multipliers;
  }
  return control;
}

function gatherRows(images: Float32Array, d: number, indices: readonly number[]): Tensor {
  const out = new Float32Array(indices.length * d);
  indices.forEach((i, r) => {
    out.set(images.subarray(i * d, (i + 1) * d), r * d);
  });
  return new Tensor(out, [indices.length, d]);
}
