// The loss-decrease stop that the 'mu' solver of scikit-learn (_fit_multiplicative_update) uses, and
// with it both solvers of `nmf`: every `every` iterations, stop when
//   (error at the previous check − error) / error at the initial factors < tol   (tol 0: never).

/** The stop rule's state over one fit. */
export class DecreaseCheck {
  private initial = Number.NaN;
  private previous = Number.NaN;

  constructor(
    private readonly tol: number,
    private readonly every: number,
  ) {}

  /** Records the error at the initial factors. */
  start(error: number): void {
    this.initial = error;
    this.previous = error;
  }

  /** Whether the error after `iteration` (1, 2, …) is checked. */
  due(iteration: number): boolean {
    return this.tol > 0 && iteration > 0 && iteration % this.every === 0;
  }

  /** Checks the error of a due iteration: true when it has stopped decreasing enough. */
  stalled(error: number): boolean {
    if ((this.previous - error) / this.initial < this.tol) return true;
    this.previous = error;
    return false;
  }
}

/** When a solver of NMF of data stops: on tol (per solver), else after maxIter iterations. */
export interface SolverStop {
  readonly tol: number;
  readonly maxIter: number;
}

/**
 * scikit-learn's 'mu' loop: `iterate` (W, then H) up to maxIter times, the loss every 10 iterations
 * when tol > 0; returns the iterations done (its n_iter_). `error` is called at the initial factors
 * and at each check.
 */
export function muIterations(
  stop: SolverStop,
  error: () => number,
  iterate: () => void,
  onIteration?: (iteration: number) => void,
): number {
  const check = new DecreaseCheck(stop.tol, 10);
  check.start(error());
  let iter = 1;
  for (; iter <= stop.maxIter; iter++) {
    iterate();
    onIteration?.(iter);
    if (check.due(iter) && check.stalled(error())) break;
  }
  return Math.min(iter, stop.maxIter);
}
