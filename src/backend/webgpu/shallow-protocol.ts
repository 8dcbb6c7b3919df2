/**
 * The shallow autoencoder's device trainer's sub-requests, all sent as the worker op 'shallow' with
 * the sub-request's code in params[0] and the trainer's id in params[1] (worker-shallow.ts serves
 * them; src/shallow/webgpu-trainer.ts sends them).
 */
export const ShallowOp = {
  /**
   * params: d, k, spikes (0: a resident training set), replicas R (models trained side by side,
   * one workgroup each), 1/√D, 1/D, then per replica 11 numbers: activation index
   * (SHALLOW_WGSL_ACTIVATIONS), tied, encoderBias, outputBias, a_w = lrW/√D, a_e = lrW/D,
   * a_v = lrV/D, a_c = lrC/D, lr_b, and its Philox seed words (seedLo, seedHi).
   */
  create: 0,
  /** inputs: each replica's θ = [W | V | b | c] (shallowLayout: every replica has room for all four), one after another. */
  setParams: 1,
  /** outputs: the replicas' θ. */
  getParams: 2,
  /**
   * params: rows, noise, maxBlockBytes (0: the device's binding limit; a training set over it goes
   * in up to SHALLOW_SOURCE_BLOCKS blocks of whole rows); inputs: the training set (rows × D) for
   * spikes 0, else the law: its basis (spikes × D) then its amplitudes (spikes).
   */
  setSource: 3,
  /** params: start, count, chunk: steps start … start + count − 1 in dispatches of `chunk` steps. No outputs. */
  run: 4,
  /** params: start, count, replica; outputs: the samples of those steps (count × D), as that replica's steps see them. */
  draw: 5,
  dispose: 6,
} as const;
