// Dead-latent bookkeeping as in openai/sparse_autoencoder (train.py, `stats_last_nonzero`): a
// latent fires on a sample when it is among the sample's top k with a value above 1e-3; a latent
// is dead once it has not fired on any of the last `threshold` training samples. The reference
// counts steps and sets its threshold as samples ÷ batch size; counting samples says the same
// for any batch size.

/** The reference's firing threshold on a kept latent's (post-ReLU) value. */
export const FIRING_THRESHOLD = 1e-3;

export class DeadLatentTracker {
  /** Training samples seen since each latent last fired (0 when it fired in the latest batch). */
  readonly samplesSinceFired: Float64Array;

  constructor(
    readonly latents: number,
    /** Samples without firing after which a latent counts as dead. */
    readonly threshold: number,
  ) {
    if (!(Number.isInteger(latents) && latents >= 1))
      throw new RangeError(`DeadLatentTracker: latents must be an integer ≥ 1, got ${latents}`);
    if (!(Number.isFinite(threshold) && threshold >= 1))
      throw new RangeError(`DeadLatentTracker: threshold must be ≥ 1 sample, got ${threshold}`);
    this.samplesSinceFired = new Float64Array(latents);
  }

  /** Records one batch of `rows` samples, k kept latents each (indices and post-ReLU values, rows × k). */
  update(indices: Int32Array, values: Float32Array, rows: number): void {
    const since = this.samplesSinceFired;
    for (let j = 0; j < since.length; j++) since[j] += rows;
    for (let e = 0; e < values.length; e++) if (values[e] > FIRING_THRESHOLD) since[indices[e]] = 0;
  }

  isDead(j: number): boolean {
    return this.samplesSinceFired[j] >= this.threshold;
  }

  /** 1 for each dead latent, 0 otherwise; also the count. */
  deadMask(): { mask: Uint8Array; count: number } {
    const mask = new Uint8Array(this.latents);
    let count = 0;
    for (let j = 0; j < this.latents; j++) {
      if (this.isDead(j)) {
        mask[j] = 1;
        count++;
      }
    }
    return { mask, count };
  }

  deadFraction(): number {
    return this.deadMask().count / this.latents;
  }
}
