import { Worker } from 'node:worker_threads';
import type { StudyRun, StudyRunEvent } from './study-kind.ts';
import type { FromWorker, WorkerInit, WorkerRunDone } from './worker.ts';

export interface SchedulerHooks {
  /** Asked before a run starts; false skips it (another process trains it). */
  claim?(config: StudyRun): boolean;
  onStart?(slot: number, config: StudyRun): void;
  onEvent?(slot: number, config: StudyRun, event: StudyRunEvent): void;
  /** Called for each finished run before the next starts on that slot; write the result here. */
  onDone(slot: number, config: StudyRun, done: WorkerRunDone): void;
  onFailed?(slot: number, config: StudyRun, message: string): void;
}

export interface SchedulerOptions {
  workers: number;
  /** The study kind every run belongs to. */
  kind: string;
  /** What the kind's `prepare` returned, sent once to each worker. */
  data: unknown;
  cacheDir: string;
  /** The output directory (checkpoints live under it). */
  dir: string;
  pluginModules: string[];
  /** A run's group (StudyKind.group): the slot that starts a group's first run takes all of it. */
  groupOf?(config: StudyRun): string | undefined;
}

// Built (dist/), the worker is plain JS; from the sources it needs tsx's loader registered first.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-entry.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

/**
 * Runs configs on a pool of worker threads, one run per worker at a time. Each run depends only
 * on its config, so results do not depend on the number of workers or the order runs finish.
 * Resolves when every run has finished or failed (a run whose worker crashed counts as failed);
 * rejects only if a worker cannot start.
 */
export class Scheduler {
  private readonly workers: Worker[] = [];
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    }
  }

  async run(configs: readonly StudyRun[], hooks: SchedulerHooks): Promise<{ failed: string[] }> {
    const queue = [...configs];
    const failed: string[] = [];
    const slots = Math.min(this.options.workers, queue.length);
    const init: WorkerInit = {
      kind: this.options.kind,
      data: this.options.data,
      cacheDir: this.options.cacheDir,
      dir: this.options.dir,
      pluginModules: this.options.pluginModules,
    };
    // A slot runs on one worker at a time. A worker that dies in a run (an uncaught error or
    // process.exit in the worker thread, not a run that throws) fails that run; the slot then
    // starts a replacement and goes on. A worker that dies before it is ready (its plugin
    // modules do not load) would die again, so that ends the study.
    const runSlot = (slot: number) =>
      new Promise<void>((resolve, reject) => {
        // The rest of the groups this slot has started, run here before anything from the queue.
        const own: StudyRun[] = [];
        const spawn = () => {
          const worker = new Worker(WORKER_URL, { workerData: init, execArgv: [] });
          this.workers.push(worker);
          let current: StudyRun | undefined;
          let ready = false;
          let died: string | undefined;
          const next = () => {
            current = undefined;
            while (!this.stopped && current === undefined && (own.length > 0 || queue.length > 0)) {
              const c = own.length > 0 ? own.shift()! : takeWithGroup(queue, own, this.options.groupOf);
              if (hooks.claim?.(c) ?? true) current = c;
            }
            if (!current) {
              worker.postMessage({ type: 'exit' });
              return;
            }
            hooks.onStart?.(slot, current);
            worker.postMessage({ type: 'run', config: current });
          };
          worker.on('message', (m: FromWorker) => {
            try {
              if (m.type === 'ready') {
                ready = true;
                next();
              } else if (m.type === 'event' && current) hooks.onEvent?.(slot, current, m.event);
              else if (m.type === 'done' && current) {
                hooks.onDone(slot, current, m);
                next();
              } else if (m.type === 'failed' && current) {
                failed.push(current.id);
                hooks.onFailed?.(slot, current, m.message);
                next();
              }
            } catch (e) {
              reject(e);
              void worker.terminate();
            }
          });
          worker.on('error', (e) => {
            died = e.stack ?? e.message;
          });
          worker.on('exit', (code) => {
            this.workers.splice(this.workers.indexOf(worker), 1);
            const run = current;
            current = undefined;
            if (this.stopped) return resolve();
            if (!ready) {
              return reject(
                new Error(`worker ${slot} died before it was ready: ${died ?? `exit code ${code}`}`),
              );
            }
            if (!run) return resolve();
            failed.push(run.id);
            try {
              hooks.onFailed?.(slot, run, `worker crashed during ${run.id}: ${died ?? `exit code ${code}`}`);
            } catch (e) {
              return reject(e);
            }
            if (queue.length > 0 || own.length > 0) spawn();
            else resolve();
          });
        };
        spawn();
      });
    await Promise.all(Array.from({ length: slots }, (_, slot) => runSlot(slot)));
    return { failed };
  }

  /** Stops handing out runs and terminates the workers (runs in flight are lost; finished ones are on disk). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}

/**
 * Takes the queue's first run for a slot; the rest of its group (`groupOf`), if it has one, moves
 * from the queue to the slot's own list `own`, in queue order.
 */
export function takeWithGroup(
  queue: StudyRun[],
  own: StudyRun[],
  groupOf?: (config: StudyRun) => string | undefined,
): StudyRun {
  const first = queue.shift();
  if (!first) throw new Error('takeWithGroup: the queue is empty');
  const group = groupOf?.(first);
  if (group === undefined) return first;
  for (let i = 0; i < queue.length; ) {
    if (groupOf!(queue[i]) === group) own.push(...queue.splice(i, 1));
    else i++;
  }
  return first;
}
