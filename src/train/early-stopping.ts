import type { LayerWeights } from '../initializers/types.ts';
import type { Sequential } from '../nn/sequential.ts';
import type { Callbacks, EpochLogs } from './fit.ts';

export interface EarlyStoppingOptions {
  /** The quantity watched (default 'val_loss', as in Keras); both are minimised. */
  monitor?: 'val_loss' | 'loss';
  /** A change smaller than this is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before training stops (default 0). */
  patience?: number;
  /** When stopping, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all, e.g. a warm-up (default 0). */
  startFromEpoch?: number;
  /** Training stops unless the monitored value beats this within `patience` epochs. */
  baseline?: number;
}

/** What early stopping carries between epochs: saved in a checkpoint so a resumed run stops where it would have. */
export interface EarlyStoppingState {
  wait: number;
  best: number;
  bestEpoch: number;
  stoppedEpoch: number;
  bestWeights: LayerWeights[] | null;
}

/**
 * Keras' EarlyStopping callback (mode 'min'): an epoch improves when `monitor − minDelta` is
 * below the best so far; after `patience` epochs without one (not on the first epoch) training
 * stops, and with `restoreBestWeights` the best epoch's weights are put back first. Epochs here
 * are 1-based where Keras' are 0-based; the rules are the same.
 */
export class EarlyStopping implements Callbacks {
  readonly monitor: 'val_loss' | 'loss';
  readonly minDelta: number;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly baseline: number | undefined;
  private s: EarlyStoppingState;

  constructor(
    private readonly model: Sequential,
    options: EarlyStoppingOptions = {},
  ) {
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    this.baseline = options.baseline;
    if (!(Number.isInteger(this.patience) && this.patience >= 0))
      throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${this.patience}`);
    this.s = {
      wait: 0,
      best: Number.POSITIVE_INFINITY,
      bestEpoch: 0,
      stoppedEpoch: 0,
      bestWeights: null,
    };
  }

  /** The epoch training stopped at (0: it did not stop early). */
  get stoppedEpoch(): number {
    return this.s.stoppedEpoch;
  }

  get bestEpoch(): number {
    return this.s.bestEpoch;
  }

  private improves(value: number, reference: number): boolean {
    return value + this.minDelta < reference;
  }

  onEpochEnd(logs: EpochLogs): 'stop' | undefined {
    const current = this.monitor === 'loss' ? logs.loss : logs.valLoss;
    if (current === undefined) {
      throw new RangeError(
        `EarlyStopping: monitor '${this.monitor}' needs validation data (validationSplit > 0)`,
      );
    }
    if (logs.epoch - 1 < this.startFromEpoch) return undefined;
    const s = this.s;
    if (this.restoreBestWeights && s.bestWeights === null) s.bestWeights = this.model.getWeights();
    s.wait += 1;
    if (this.improves(current, s.best)) {
      s.best = current;
      s.bestEpoch = logs.epoch;
      if (this.restoreBestWeights) s.bestWeights = this.model.getWeights();
      if (this.baseline === undefined || this.improves(current, this.baseline)) s.wait = 0;
      return undefined;
    }
    if (s.wait >= this.patience && logs.epoch > 1) {
      s.stoppedEpoch = logs.epoch;
      if (this.restoreBestWeights && s.bestWeights !== null)
        this.model.setWeights(s.bestWeights, 'EarlyStopping: best weights');
      return 'stop';
    }
    return undefined;
  }

  /** A copy of the state, for a checkpoint. */
  state(): EarlyStoppingState {
    return {
      ...this.s,
      bestWeights:
        this.s.bestWeights?.map((w) => ({ kernel: w.kernel.slice(), bias: w.bias.slice() })) ?? null,
    };
  }

  loadState(state: EarlyStoppingState): void {
    this.s = { ...state };
  }
}
