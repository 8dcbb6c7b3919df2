// The Frobenius 'mu' solve of src/nmf/mu.ts (fitMuData) with X, W, Hᵀ and every product held by a
// backend that keeps matrices between products (Backend.resident: gpu.js textures on a GL context,
// webgpu storage buffers). Only X, W and Hᵀ go up, once; the loss check at its interval reads back
// W, X·Hᵀ, WᵀW and H·Hᵀ; the final factors come back at the end. Everything on the backend is
// float32 (the host solver sums over samples in float64 between blocks), so it agrees with the host
// solver to float32 rounding.
import type { Backend, ResidentMatrix, ResidentOps } from '../backend/types.ts';
import type { BetaLoss, DataFactors } from './data-loss.ts';
import type { NmfData } from './data-matrix.ts';
import { dot } from './data-products.ts';
import { frobeniusFromProducts } from './linalg.ts';
import type { Penalties } from './options.ts';
import { muIterations, type SolverStop } from './stopping.ts';

/** The resident ops a mu solve can chain on, or null where it runs on the host. */
export function chainedMuOps(
  x: NmfData,
  k: number,
  loss: BetaLoss,
  updateH: boolean,
  backend: Backend,
): ResidentOps | null {
  const ops = backend.resident;
  // Only a backend's own resident storage pays; the host version would only copy.
  if (!ops || loss !== 'frobenius' || !updateH || x.sparse) return null;
  const fits = ops.fits(x.rows, x.cols) && ops.fits(x.rows, k) && ops.fits(x.cols, k) && ops.fits(k, k);
  return fits ? ops : null;
}

/** Readbacks of one loss check: W, X·Hᵀ, WᵀW and H·Hᵀ. */
export const READBACKS_PER_CHECK = 4;

/**
 * Runs the solver from `f` in place on `ops`, as fitMuData does on the host (W first, then H; the
 * loss every 10 iterations when tol > 0); returns the iterations done. Transfers: 3 uploads and
 * 2 + 4·(1 + loss checks) readbacks, the first check being the loss at the initial factors.
 */
export function fitMuDataResident(
  x: NmfData,
  f: DataFactors,
  pen: Penalties,
  stop: SolverStop,
  ops: ResidentOps,
  onIteration?: (iteration: number) => void,
): number {
  const { k } = f;
  const { rows: n, cols: d } = x;
  const X = ops.upload(x.values, n, d);
  let W = ops.upload(f.w32, n, k);
  let Ht = ops.upload(f.ht32, d, k);
  // X·Hᵀ and H·Hᵀ of the current H (the W step's numerator and Gram), WᵀW of the current W.
  let xht: ResidentMatrix | null = null;
  let hht: ResidentMatrix | null = null;
  let wtw = ops.gemm(true, false, W, W);
  const release = (...ms: (ResidentMatrix | null)[]) => {
    for (const m of ms) if (m) ops.release(m);
  };
  const productsOfH = () => {
    xht ??= ops.gemm(false, false, X, Ht);
    hht ??= ops.gemm(true, false, Ht, Ht);
    return { xht, hht };
  };
  const xhtHost = new Float32Array(n * k);
  const gramW = new Float32Array(k * k);
  const gramH = new Float32Array(k * k);
  // ‖X − WH‖_F = sqrt(‖X‖² − 2⟨W, X·Hᵀ⟩ + ⟨WᵀW, H·Hᵀ⟩), the inner products in float64, as frobeniusError.
  const error = () => {
    const p = productsOfH();
    ops.download(W, f.w32);
    ops.download(p.xht, xhtHost);
    ops.download(wtw, gramW);
    ops.download(p.hht, gramH);
    return frobeniusFromProducts(x.squaredNorm, dot(f.w32, xhtHost, n * k), dot(gramW, gramH, k * k));
  };
  // One iteration: W, then H from the new W, each by the rule of mu.ts's muEntry (ops.multiplicativeUpdate).
  const iterate = () => {
    const p = productsOfH();
    const den = ops.gemm(false, false, W, p.hht);
    const w = ops.multiplicativeUpdate(W, p.xht, den, pen.l1W, pen.l2W);
    release(W, den, wtw);
    W = w;
    wtw = ops.gemm(true, false, W, W);
    const xtw = ops.gemm(true, false, X, W);
    const hden = ops.gemm(false, false, Ht, wtw);
    const ht = ops.multiplicativeUpdate(Ht, xtw, hden, pen.l1H, pen.l2H);
    release(Ht, xtw, hden, xht, hht);
    Ht = ht;
    xht = null;
    hht = null;
  };
  try {
    const iterations = muIterations(stop, error, iterate, onIteration);
    ops.download(W, f.w32);
    ops.download(Ht, f.ht32);
    for (let i = 0; i < n * k; i++) f.w[i] = f.w32[i];
    for (let i = 0; i < d * k; i++) f.ht[i] = f.ht32[i];
    return iterations;
  } finally {
    release(X, W, Ht, wtw, xht, hht);
  }
}
