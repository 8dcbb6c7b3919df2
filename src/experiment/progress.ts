import cliProgress from 'cli-progress';
import type { StudyRun, StudyRunEvent } from './study-kind.ts';

type RunEvent = StudyRunEvent;

/** How a long experiment tells the user where it is. */
export interface ProgressReporter {
  start(total: number, skipped: number): void;
  runStarted(slot: number, config: StudyRun): void;
  runEvent(slot: number, config: StudyRun, event: RunEvent): void;
  /** `summary` is the kind's one-line account of the result. */
  runFinished(slot: number, config: StudyRun, summary: string): void;
  runFailed(slot: number, config: StudyRun, message: string): void;
  stop(): void;
}

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

abstract class BaseReporter implements ProgressReporter {
  protected total = 0;
  protected done = 0;
  protected totalWork = 0;
  protected doneWork = 0;
  protected readonly inFlight = new Map<number, { config: StudyRun; fraction: number }>();
  protected startedAt = 0;

  /** `cost` weighs runs (the kind's estimate of their work), so the ETA is honest from the first run. */
  constructor(
    protected readonly configs: readonly StudyRun[],
    protected readonly cost: (c: StudyRun) => number,
    /** The clock, in milliseconds (a test passes a fake one). */
    protected readonly now: () => number = () => performance.now(),
  ) {}

  start(total: number, _skipped: number): void {
    this.total = total;
    this.totalWork = this.configs.reduce((s, c) => s + this.cost(c), 0);
    this.startedAt = this.now();
  }

  runStarted(slot: number, config: StudyRun): void {
    this.inFlight.set(slot, { config, fraction: 0 });
  }

  runEvent(slot: number, _config: StudyRun, event: RunEvent): void {
    const f = this.inFlight.get(slot);
    if (!f) return;
    if (event.type === 'progress') f.fraction = event.fraction;
    else if (event.type === 'epoch') f.fraction = event.epoch / event.epochs;
  }

  runFinished(slot: number, config: StudyRun, _summary: string): void {
    this.finish(slot, config);
  }

  runFailed(slot: number, config: StudyRun, _message: string): void {
    this.finish(slot, config);
  }

  private finish(slot: number, config: StudyRun): void {
    this.inFlight.delete(slot);
    this.done += 1;
    this.doneWork += this.cost(config);
  }

  /** Seconds left, from the work done so far (finished runs plus the fractions in flight). */
  protected eta(): number {
    let work = this.doneWork;
    for (const { config, fraction } of this.inFlight.values()) work += fraction * this.cost(config);
    const elapsed = (this.now() - this.startedAt) / 1000;
    return work > 0 ? (elapsed * (this.totalWork - work)) / work : Number.NaN;
  }

  abstract stop(): void;
}

/**
 * One plain line per finished run, for logs and CI; and, while runs report fractions, a line at
 * most every `heartbeatSeconds` saying where each run in flight is, so a log of hour-long runs
 * shows it is alive.
 */
export class PlainReporter extends BaseReporter {
  private lastLine = 0;

  constructor(
    configs: readonly StudyRun[],
    cost: (c: StudyRun) => number,
    private readonly write: (line: string) => void = (l) => console.log(l),
    now?: () => number,
    private readonly heartbeatSeconds = 60,
  ) {
    super(configs, cost, now);
  }

  private say(line: string): void {
    this.lastLine = this.now();
    this.write(line);
  }

  override start(total: number, skipped: number): void {
    super.start(total, skipped);
    this.say(`${total} run(s) to train${skipped > 0 ? `, ${skipped} already stored (skipped)` : ''}`);
  }

  override runFinished(slot: number, config: StudyRun, summary: string): void {
    super.runFinished(slot, config, summary);
    const width = String(this.total).length;
    this.say(
      `[${String(this.done).padStart(width)}/${this.total}] ${config.id}: ${summary}; ETA ${fmtDuration(this.eta())}`,
    );
  }

  override runFailed(slot: number, config: StudyRun, message: string): void {
    super.runFailed(slot, config, message);
    this.say(`[failed] ${config.id}: ${message.split('\n')[0]}`);
  }

  override runEvent(slot: number, config: StudyRun, event: RunEvent): void {
    super.runEvent(slot, config, event);
    if (event.type === 'log') this.say(`  ${config.id}: ${event.message}`);
    // One line per epoch per run, like Keras verbose=2.
    else if (event.type === 'epoch') {
      const val = event.valLoss === undefined ? '' : ` - val_loss ${event.valLoss.toFixed(4)}`;
      this.say(`  ${config.id}: epoch ${event.epoch}/${event.epochs} - loss ${event.loss.toFixed(4)}${val}`);
    } else if (event.type === 'progress' && this.now() - this.lastLine >= this.heartbeatSeconds * 1000) {
      const where = [...this.inFlight.values()]
        .map((f) => `${f.config.id} ${(100 * f.fraction).toFixed(0)}%`)
        .join(', ');
      this.say(`  [${this.done}/${this.total} done] running: ${where}; ETA ${fmtDuration(this.eta())}`);
    }
  }

  stop(): void {}
}

/** A live bar on a terminal: overall progress and ETA, and a line per worker with its run, epoch and loss. */
export class TtyReporter extends BaseReporter {
  private multibar: cliProgress.MultiBar | undefined;
  private overall: cliProgress.SingleBar | undefined;
  private readonly slotBars = new Map<number, cliProgress.SingleBar>();
  private lastRedraw = 0;

  override start(total: number, skipped: number): void {
    super.start(total, skipped);
    if (skipped > 0) console.log(`${skipped} run(s) already stored (skipped)`);
    this.multibar = new cliProgress.MultiBar(
      {
        clearOnComplete: false,
        hideCursor: true,
        format: '{bar} {value}/{total} runs | ETA {eta_h} | {status}',
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_grey,
    );
    this.overall = this.multibar.create(total, 0, { eta_h: '?', status: 'starting' });
  }

  override runStarted(slot: number, config: StudyRun): void {
    super.runStarted(slot, config);
    let bar = this.slotBars.get(slot);
    if (!bar && this.multibar) {
      bar = this.multibar.create(
        100,
        0,
        { eta_h: '', status: '' },
        { format: '  worker {slot} {bar} {value}% | {status}' },
      );
      this.slotBars.set(slot, bar);
    }
    bar?.update(0, { slot: slot + 1, status: config.id });
  }

  override runEvent(slot: number, config: StudyRun, event: RunEvent): void {
    super.runEvent(slot, config, event);
    const bar = this.slotBars.get(slot);
    const percent = Math.round(100 * (this.inFlight.get(slot)?.fraction ?? 0));
    if (event.type === 'epoch') {
      const val = event.valLoss === undefined ? '' : ` val ${event.valLoss.toFixed(4)}`;
      bar?.update(percent, {
        slot: slot + 1,
        status: `${config.id} epoch ${event.epoch}/${event.epochs} loss ${event.loss.toFixed(4)}${val}`,
      });
    } else if (event.type === 'progress' && performance.now() - this.lastRedraw > 500) {
      this.lastRedraw = performance.now();
      bar?.update(percent, { slot: slot + 1 });
      this.overall?.update(this.done, {
        eta_h: fmtDuration(this.eta()),
        status: `${this.inFlight.size} running`,
      });
    } else if (event.type === 'log') {
      this.logLine(`${config.id}: ${event.message}`);
    }
  }

  override runFinished(slot: number, config: StudyRun, summary: string): void {
    super.runFinished(slot, config, summary);
    this.logLine(`${config.id}: ${summary}`);
    this.overall?.update(this.done, {
      eta_h: fmtDuration(this.eta()),
      status: `${this.inFlight.size} running`,
    });
  }

  override runFailed(slot: number, config: StudyRun, message: string): void {
    super.runFailed(slot, config, message);
    this.logLine(`[failed] ${config.id}: ${message.split('\n')[0]}`);
  }

  /** A line above the bars; clears the terminal line first so no bar text is left behind it. */
  private logLine(text: string): void {
    this.multibar?.log(`\x1b[2K${text}\n`);
  }

  stop(): void {
    this.multibar?.stop();
  }
}

export class SilentReporter extends BaseReporter {
  stop(): void {}
}

export function makeReporter(
  mode: 'auto' | 'tty' | 'plain' | 'none',
  configs: readonly StudyRun[],
  cost: (c: StudyRun) => number,
  log?: (line: string) => void,
): ProgressReporter {
  const resolved = mode === 'auto' ? (process.stdout.isTTY ? 'tty' : 'plain') : mode;
  if (resolved === 'tty') return new TtyReporter(configs, cost);
  if (resolved === 'plain') return new PlainReporter(configs, cost, log);
  return new SilentReporter(configs, cost);
}
