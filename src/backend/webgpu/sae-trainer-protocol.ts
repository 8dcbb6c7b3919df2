/**
 * The device SAE trainer's sub-requests, all sent as the worker op 'saeTrainer' with the
 * sub-request's code in params[0] and the trainer's id in params[1] (worker-sae-trainer.ts).
 */
export const SaeTrainerOp = {
  /** params: batch, d, n, k, kAux, α, mseScale, cap (⌈dead samples⌉), fire, β1, β2, ε. */
  create: 0,
  /** inputs: W_e, b_e, W_d, b_pre; Adam's moments and the dead counters are zeroed. */
  setParams: 1,
  /** outputs: W_e, b_e, W_d, b_pre. */
  getParams: 2,
  /** params: rows; inputs: x (rows × d). */
  setData: 3,
  /**
   * params: mode (0: rows of the data set by index, 1: the batch uploaded now), lrT, kAuxNow (0:
   * no aux term); inputs: the row numbers as floats (mode 0) or x (mode 1). outputs: one array
   * of SAE_STEP_SUMS floats (see SaeSum).
   */
  step: 4,
  dispose: 5,
} as const;

/** What a step reads back, by slot: its only readback. */
export const SaeSum = {
  /** Σ‖x − x̂‖² over the batch. */
  mainSquares: 0,
  /** Σ‖e − ē‖² (the AuxK normaliser's numerator; with an aux term only). */
  spread: 1,
  /** Σ‖ê − e‖² (with an aux term only). */
  auxSquares: 2,
  /** Dead latents after the step's counter update. */
  dead: 3,
  /** Rows whose selection the device refused (a NaN among their pre-activations). */
  refusedRows: 4,
} as const;

export const SAE_STEP_SUMS = 5;
