// A worker thread that executes runs sent by the scheduler, one at a time. The study's shared
// data arrives once (typed arrays over SharedArrayBuffers are never copied); the kind comes from
// the registry after the plugin modules the parent names are imported.
import { parentPort, workerData } from 'node:worker_threads';
import { getBackend } from '../backend/index.ts';
import { Rng } from '../tensor/rng.ts';
import { RunCheckpoints } from './checkpoints.ts';
import { runConfigHash } from './hash.ts';
import { studies } from './kinds.ts';
import { loadPluginModules } from './plugins.ts';
import type { StudyRun, StudyRunEvent } from './study-kind.ts';

export interface WorkerInit {
  kind: string;
  data: unknown;
  cacheDir: string;
  /** The output directory: checkpoints and a run's exports live under it. */
  dir: string;
  pluginModules: string[];
}

export type ToWorker = { type: 'run'; config: StudyRun } | { type: 'exit' };

export interface WorkerRunDone {
  type: 'done';
  result: unknown;
  timing: { seconds: number; startedAt: string; finishedAt: string };
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'event'; runId: string; event: StudyRunEvent }
  | WorkerRunDone
  | { type: 'failed'; runId: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;

await loadPluginModules(init.pluginModules);
const kind = studies.get(init.kind);

port.on('message', async (message: ToWorker) => {
  if (message.type === 'exit') {
    port.close();
    return;
  }
  const { config } = message;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  try {
    const emit = (event: StudyRunEvent) =>
      port.postMessage({ type: 'event', runId: config.id, event } satisfies FromWorker);
    const hash = runConfigHash(kind.name, kind.resultVersion, config);
    const result = await kind.execute(config, init.data, {
      cacheDir: init.cacheDir,
      dir: init.dir,
      rng: Rng.seeded(config.seed),
      backend: getBackend(config.backend, { cacheDir: init.cacheDir }),
      emit,
      checkpoints: new RunCheckpoints(init.dir, config.id, hash, (message) => emit({ type: 'log', message })),
    });
    const timing = {
      seconds: (performance.now() - t0) / 1000,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    port.postMessage({ type: 'done', result, timing } satisfies FromWorker);
  } catch (e) {
    const err = e as Error;
    port.postMessage({
      type: 'failed',
      runId: config.id,
      message: err?.stack ?? String(e),
    } satisfies FromWorker);
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
