/**
 * The shallow autoencoder's device trainer's sub-requests, all sent as the worker op 'shallow' with
 * the sub-request's code in params[0] and the trainer's id in params[1] (worker-shallow.ts serves
 * them; src/shallow/webgpu-trainer.ts sends them).
 */
export const ShallowOp = {
  /**
   * params: d, k, activation index (SHALLOW_WGSL_ACTIVATIONS), tied, encoderBias, outputBias,
   * spikes (0: a resident training set), replicas (models of this configuration trained side by
   * side, one workgroup each), then the step's constants a_w = lrW/√D, a_e = lrW/D,
   * a_v = lrV/D, a_c = lrC/D, lr_b, 1/√D, 1/D.
   */
  create: 0,
  /** inputs: each replica's θ = [W | V | b | c] (shallowLayout), one after another. */
  setParams: 1,
  /** outputs: the replicas' θ. */
  getParams: 2,
  /**
   * params: rows, noise, maxBlockBytes (0: the device's binding limit; a training set over it goes
   * in up to SHALLOW_SOURCE_BLOCKS blocks of whole rows); inputs: the training set (rows × D) for
   * spikes 0, else the law: its basis (spikes × D), its amplitudes (spikes), then each replica's
   * Philox key as 4 floats (seedLo >> 16, seedLo & 0xffff, seedHi >> 16, seedHi & 0xffff).
   */
  setSource: 3,
  /** params: start, count, chunk: steps start … start + count − 1 in dispatches of `chunk` steps. No outputs. */
  run: 4,
  /** params: start, count, replica; outputs: the samples of those steps (count × D), as that replica's steps see them. */
  draw: 5,
  dispose: 6,
} as const;
