// A worker thread that trains runs sent by the scheduler, one at a time, on its own backend
// instance. The data sets arrive once, in shared memory, and are never copied.
import { parentPort, workerData } from 'node:worker_threads';
import type { RunConfig } from './grid.ts';
import { loadPluginModules } from './plugins.ts';
import { executeRun, type RunData } from './run-one.ts';

export interface WorkerInit {
  data: Record<string, RunData>;
  cacheDir: string;
  pluginModules: string[];
}

export type ToWorker = { type: 'run'; config: RunConfig } | { type: 'exit' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'event'; runId: string; event: import('./run-one.ts').RunEvent }
  | { type: 'done'; result: import('./store.ts').RunResult }
  | { type: 'failed'; runId: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;

await loadPluginModules(init.pluginModules);

port.on('message', async (message: ToWorker) => {
  if (message.type === 'exit') {
    port.close();
    return;
  }
  const { config } = message;
  try {
    const data = init.data[config.datasetLabel];
    if (!data) throw new Error(`no data loaded for data set '${config.datasetLabel}'`);
    const result = await executeRun(config, data, {
      cacheDir: init.cacheDir,
      onEvent: (event) => port.postMessage({ type: 'event', runId: config.id, event } satisfies FromWorker),
    });
    port.postMessage({ type: 'done', result } satisfies FromWorker);
  } catch (e) {
    const err = e as Error;
    port.postMessage({
      type: 'failed',
      runId: config.id,
      message: err.stack ?? err.message,
    } satisfies FromWorker);
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
