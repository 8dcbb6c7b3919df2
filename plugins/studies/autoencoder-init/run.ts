import {
  Adam,
  autoencoder,
  EarlyStopping,
  encodeFloat32,
  evaluate,
  fit,
  type History,
  initializers,
  type Optimizer,
  Rng,
  type RunContext,
  type Sequential,
  Sgd,
  Tensor,
  TrainingDivergedError,
} from 'nmfinit';
import { restoreCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { RunConfig } from './grid.ts';
import type { AutoencoderResult, RunSnapshot } from './result.ts';
import type { ExperimentSpec } from './spec.ts';

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
  config: RunConfig,
  data: RunData,
  ctx: RunContext,
): Promise<AutoencoderResult> {
  const { emit, backend } = ctx;
  const model = autoencoder(backend, config.model.sizes, {
    hidden: config.model.hidden as never,
    output: config.model.output as never,
  });

  // Streams: the initializer's depends on the seed and the initializer; the shuffle order only
  // on the seed, so every initializer of a seed sees the same batches (a controlled comparison).
  const root = ctx.rng;
  const log = (message: string) => emit({ type: 'log', message });
  const optimizer = makeOptimizer(config.training.optimizer, model);
  const es = config.training.callbacks?.find((c) => c.name === 'early-stopping');
  const earlyStopping = es ? new EarlyStopping(model, es) : null;
  const every = config.checkpointEvery;
  const restored = every ? restoreCheckpoint(ctx.checkpoints, model, optimizer, earlyStopping, log) : null;
  if (restored) log(`resumed from the checkpoint after epoch ${restored.epoch} (${restored.file})`);
  let initializerSeconds = restored?.initializerSeconds ?? 0;
  if (!restored) {
    const plugin = initializers.get(config.initializer.name);
    const params = initializers.parseParams(plugin, config.initializer.params);
    const t0 = performance.now();
    const weights = await plugin.init({
      layers: model.layerSpecs(),
      params,
      rng: root.child(`init/${config.initializer.name}`),
      cacheDir: ctx.cacheDir,
      log,
    });
    model.setWeights(weights, `initializer '${config.initializer.name}'`);
    initializerSeconds = (performance.now() - t0) / 1000;
  }

  const n = config.samples === 'all' ? data.train.count : config.samples;
  if (n > data.train.count) {
    throw new RangeError(
      `${config.id}: asks for ${n} training samples, the data set has ${data.train.count}`,
    );
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

export function makeOptimizer(spec: ExperimentSpec['training']['optimizer'], model: Sequential): Optimizer {
  const allocate = (n: number) => model.allocate(n);
  switch (spec.name) {
    case 'adam':
      return new Adam(spec, allocate);
    case 'sgd':
      return new Sgd(spec, allocate);
  }
}

function gatherRows(images: Float32Array, d: number, indices: readonly number[]): Tensor {
  const out = new Float32Array(indices.length * d);
  indices.forEach((i, r) => {
    out.set(images.subarray(i * d, (i + 1) * d), r * d);
  });
  return new Tensor(out, [indices.length, d]);
}
