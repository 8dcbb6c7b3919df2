/**
 * The device-resident trainer's sub-requests, all sent as the worker op 'trainer' with the
 * sub-request's code in params[0] and the trainer's id in params[1] (see worker-trainer.ts for
 * the rest of each one's params, inputs and outputs).
 */
export const TrainerOp = {
  /** params: batchSize, inputDim, L, units × L, activation index × L, β1, β2, ε. */
  create: 0,
  /** params: withMoments; inputs: kernel, bias per layer, then (withMoments) m, v per parameter. */
  setParams: 1,
  /** outputs: kernel, bias per layer, then m, v per parameter. */
  getParams: 2,
  /** params: slot, rows, hasTargets; inputs: x (rows × inputDim), then y (rows × outputDim) if hasTargets. */
  setData: 3,
  /**
   * params: rows, mode (0: rows of slot 0 by index, 1: the batch uploaded now), lrT; inputs: the
   * row numbers as floats (mode 0), or x, and y unless the targets are x (mode 1). outputs: the
   * batch's sum of squared errors (one float).
   */
  step: 4,
  /** params: slot, batchSize; outputs: each batch's sum of squared errors. */
  evaluate: 5,
  dispose: 6,
} as const;

/** Where setData puts a data set: the training set (which steps may index) and one more (validation, evaluation). */
export const TrainerSlot = { train: 0, other: 1 } as const;
