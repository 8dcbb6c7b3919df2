// The error function in float64, and the paper's sigmoidal activation g(x) = erf(x/√2)
// (Refinetti & Goldt 2022; their code's `erfscaled`). Kernels know numbers, not graphs, so this
// lives with the backends; the activation table takes its forward and derivative from here.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT_HALF = Math.SQRT1_2;

/** Below this |x| the series is used, above it the continued fraction for erfc. */
const SERIES_LIMIT = 2.5;

/**
 * erf(x) to a few ulps over the whole line.
 * - |x| < 2.5: erf(x) = (2/√π)·e^{−x²}·Σₙ 2ⁿx^{2n+1}/(1·3·…·(2n+1)) (A&S 7.1.6). Every term is
 *   positive, so there is no cancellation, unlike the alternating Taylor series.
 * - |x| ≥ 2.5: erf(x) = 1 − erfc(x), erfc by its continued fraction (A&S 7.1.14) evaluated with
 *   the modified Lentz method; erfc(2.5) ≈ 4·10⁻⁴, so 1 − erfc loses nothing.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x); // erfc(6) ≈ 2·10⁻¹⁷: below half an ulp of 1
  const value = a < SERIES_LIMIT ? erfSeries(a) : 1 - erfcContinuedFraction(a);
  return x < 0 ? -value : x === 0 ? x : value; // keeps the sign of −0
}

function erfSeries(a: number): number {
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(a) for a > 0: e^{−a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))). */
function erfcContinuedFraction(a: number): number {
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = a + an * d;
    d = d === 0 ? tiny : 1 / d;
    c = a + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
}

/** The paper's sigmoidal activation g(x) = erf(x/√2) = 2Φ(x) − 1, Φ the standard normal CDF. */
export function erfScaled(x: number): number {
  return erf(x * SQRT_HALF);
}

/**
 * g'(x) = √(2/π)·e^{−x²/2}. It needs the pre-activation x: unlike relu, sigmoid and tanh, it
 * cannot be written through the output y = g(x) without an inverse erf.
 */
export function erfScaledDerivative(x: number): number {
  return SQRT_TWO_OVER_PI * Math.exp(-0.5 * x * x);
}
