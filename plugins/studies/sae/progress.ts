// What an SAE run tells the progress display. With `settle`, a run trains its `epochs` and then
// on until the dead fraction is flat, at most `maxEpochs`: its end is unknown past the minimum.
// Counting the cap as the run's length put a run that stopped at 50 of 200 epochs at 25% when it
// ended, and the ETA, read from these fractions, as many times too long; counting only the
// minimum would read 100% while the run still trains.

/**
 * The fraction of a run done at `step`: of the minimum length, and past the last epoch before it,
 * with at least one more epoch to go (so it rises towards 1 without reaching it). Without settle
 * the length is known: step over the steps of `epochs`.
 */
export function runFraction(step: number, stepsPerEpoch: number, epochs: number, settles: boolean): number {
  const minimum = Math.max(1, stepsPerEpoch * epochs);
  return settles ? step / Math.max(minimum, step + Math.max(1, stepsPerEpoch)) : Math.min(1, step / minimum);
}

/** The log line when a settling run passes its minimum length. */
export const settlingMessage = (epochs: number, maxEpochs: number) =>
  `${epochs} epoch${epochs === 1 ? '' : 's'} trained and the dead fraction is not flat yet: training on until it is, at most ${maxEpochs} epochs`;
