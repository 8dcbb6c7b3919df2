// NMF of data (src/nmf/estimator.ts). Oracles: plain float64 loops written here from scikit-learn's
// update rules (a different formulation from the solvers': fresh dot products per coordinate,
// dense W·H, no gemm, no float32), Lee & Seung's monotonicity theorem, the NNLS uniqueness behind
// transform, and the L1 penalty's soft threshold.
import fc from 'fast-check';
import { getBackend, Rng } from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { SimdBackend } from '../src/backend/simd/index.ts';
import { cdSweepRows } from '../src/nmf/cd.ts';
import { CD_SPLIT_MIN_ROWS, wasmCdSweep } from '../src/nmf/cd-sweep-wasm.ts';
import { klDivergence } from '../src/nmf/data-loss.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { Workspace } from '../src/nmf/data-products.ts';
import { NMF } from '../src/nmf/estimator.ts';
import { fitMuData } from '../src/nmf/mu.ts';
import { penalties } from '../src/nmf/options.ts';
import { componentSparsity, hoyerSparsity } from '../src/nmf/sparsity.ts';

const backend = getBackend('simd');
const EPS = 2 ** -23;

interface Problem {
  n: number;
  d: number;
  k: number;
  x: Float64Array;
  w: Float64Array;
  h: Float64Array;
}

/** X uniform in [0, 1) with ~20 % zeros, and positive initial factors. */
function problem(n: number, d: number, k: number, seed: number): Problem {
  const rng = Rng.seeded(seed);
  const x = new Float64Array(n * d).map(() => (rng.uniform() < 0.2 ? 0 : Math.fround(rng.uniform())));
  const w = new Float64Array(n * k).map(() => Math.fround(0.1 + rng.uniform()));
  const h = new Float64Array(k * d).map(() => Math.fround(0.1 + rng.uniform()));
  return { n, d, k, x, w, h };
}

const problems = fc
  .record({ n: fc.integer({ min: 3, max: 14 }), d: fc.integer({ min: 3, max: 14 }), seed: fc.integer() })
  .chain(({ n, d, seed }) =>
    fc.integer({ min: 1, max: Math.min(n, d, 5) }).map((k) => problem(n, d, k, seed)),
  );

/**
 * Well-posed problems for comparing trajectories: X near a rank-k non-negative product (plus 10 %
 * noise), k ≤ min(n, d)/2, so no component dies along the way. (A dying component divides by a
 * Hessian that is exactly 0 in one arithmetic and 1e-9 in another, and the runs part ways.)
 */
const wellPosed = fc
  .record({ n: fc.integer({ min: 6, max: 16 }), d: fc.integer({ min: 6, max: 16 }), seed: fc.integer() })
  .chain(({ n, d, seed }) =>
    fc.integer({ min: 1, max: Math.min(Math.floor(Math.min(n, d) / 2), 4) }).map((k) => {
      const p = problem(n, d, k, seed);
      const rng = Rng.seeded(seed).child('x');
      const base = wh(
        p,
        p.w.map((v) => v + rng.uniform()),
        p.h.map((v) => v + rng.uniform()),
      );
      const mean = base.reduce((a, b) => a + b, 0) / base.length;
      return { ...p, x: base.map((v) => Math.fround(v + 0.1 * mean * rng.uniform())) };
    }),
  );
/** Half of X's entries set to 0, and its first row and column: X stored sparse sees all-zero rows and columns. */
function sparsified(p: Problem): Problem {
  const rng = Rng.seeded(p.n * 1000 + p.d).child('mask');
  const x = p.x.map((v, i) => (i < p.d || i % p.d === 0 || rng.uniform() < 0.5 ? 0 : v));
  return { ...p, x };
}

const regularization = fc.record({
  alphaW: fc.constantFrom(0, 0.001, 0.01),
  alphaH: fc.constantFrom<'same' | number>('same', 0, 0.005),
  l1Ratio: fc.constantFrom(0, 0.5, 1),
});

// ---- the reference: dense float64 loops, scikit-learn's rules as written in _nmf.py ----

function wh(p: Problem, w: Float64Array, h: Float64Array): Float64Array {
  const { n, d, k } = p;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += w[i * k + t] * h[t * d + j];
      out[i * d + j] = s;
    }
  return out;
}

function refFrobenius(p: Problem, w: Float64Array, h: Float64Array): number {
  const m = wh(p, w, h);
  let s = 0;
  for (let i = 0; i < m.length; i++) s += (p.x[i] - m[i]) ** 2;
  return Math.sqrt(s);
}

function refKl(p: Problem, w: Float64Array, h: Float64Array): number {
  const m = wh(p, w, h);
  let s = 0;
  for (let i = 0; i < m.length; i++) {
    const v = m[i] === 0 ? EPS : m[i];
    if (p.x[i] > EPS) s += p.x[i] * Math.log(p.x[i] / v) - p.x[i];
    s += m[i];
  }
  return s;
}

/** _update_cdnmf_fast on W (rows × k), column by column as scikit-learn loops. */
function refCdUpdate(f: Float64Array, rows: number, k: number, g: Float64Array, t: Float64Array): void {
  for (let c = 0; c < k; c++)
    for (let i = 0; i < rows; i++) {
      let grad = -t[i * k + c];
      for (let r = 0; r < k; r++) grad += g[c * k + r] * f[i * k + r];
      const hess = g[c * k + c];
      if (hess !== 0) f[i * k + c] = Math.max(f[i * k + c] - grad / hess, 0);
    }
}

/** One scikit-learn cd iteration (W then H) with its penalties. */
function refCdIteration(
  p: Problem,
  w: Float64Array,
  h: Float64Array,
  pen: ReturnType<typeof penalties>,
): void {
  const { n, d, k, x } = p;
  const hht = new Float64Array(k * k);
  const xht = new Float64Array(n * k);
  for (let s = 0; s < k; s++)
    for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) hht[s * k + t] += h[s * d + j] * h[t * d + j];
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) xht[i * k + t] += x[i * d + j] * h[t * d + j];
  for (let c = 0; c < k; c++) hht[c * k + c] += pen.l2W;
  for (let i = 0; i < xht.length; i++) xht[i] -= pen.l1W;
  refCdUpdate(w, n, k, hht, xht);
  const ht = new Float64Array(d * k);
  for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) ht[j * k + t] = h[t * d + j];
  const wtw = new Float64Array(k * k);
  const xtw = new Float64Array(d * k);
  for (let s = 0; s < k; s++)
    for (let t = 0; t < k; t++) for (let i = 0; i < n; i++) wtw[s * k + t] += w[i * k + s] * w[i * k + t];
  for (let j = 0; j < d; j++)
    for (let t = 0; t < k; t++) for (let i = 0; i < n; i++) xtw[j * k + t] += x[i * d + j] * w[i * k + t];
  for (let c = 0; c < k; c++) wtw[c * k + c] += pen.l2H;
  for (let i = 0; i < xtw.length; i++) xtw[i] -= pen.l1H;
  refCdUpdate(ht, d, k, wtw, xtw);
  for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) h[t * d + j] = ht[j * k + t];
}

/** One scikit-learn mu iteration (beta 2 or 1) with its penalties. */
function refMuIteration(
  p: Problem,
  w: Float64Array,
  h: Float64Array,
  kl: boolean,
  pen: ReturnType<typeof penalties>,
): void {
  const { n, d, k, x } = p;
  const apply = (f: Float64Array, num: Float64Array, den: Float64Array, l1: number, l2: number) => {
    for (let i = 0; i < f.length; i++) {
      let v = den[i];
      if (l1 > 0) v += l1;
      if (l2 > 0) v += l2 * f[i];
      if (v === 0) v = EPS;
      f[i] *= num[i] / v;
    }
  };
  const ratio = () => {
    const m = wh(p, w, h);
    return m.map((v, i) => (x[i] === 0 ? 0 : x[i] / (v === 0 ? EPS : v)));
  };
  // W
  const numW = new Float64Array(n * k);
  const denW = new Float64Array(n * k);
  const r = kl ? ratio() : null;
  const m = kl ? null : wh(p, w, h);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++)
      for (let j = 0; j < d; j++) {
        numW[i * k + t] += (kl ? r![i * d + j] : x[i * d + j]) * h[t * d + j];
        denW[i * k + t] += (kl ? 1 : m![i * d + j]) * h[t * d + j];
      }
  apply(w, numW, denW, pen.l1W, pen.l2W);
  // H, from the new W
  const numH = new Float64Array(k * d);
  const denH = new Float64Array(k * d);
  const r2 = kl ? ratio() : null;
  const m2 = kl ? null : wh(p, w, h);
  const wsum = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) wsum[t] += w[i * k + t];
  for (let t = 0; t < k; t++)
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) {
        numH[t * d + j] += w[i * k + t] * (kl ? r2![i * d + j] : x[i * d + j]);
        if (!kl) denH[t * d + j] += w[i * k + t] * m2![i * d + j];
      }
      if (kl) denH[t * d + j] = wsum[t] === 0 ? 1 : wsum[t];
    }
  apply(h, numH, denH, pen.l1H, pen.l2H);
  if (kl) for (let i = 0; i < h.length; i++) if (h[i] < 2 ** -52) h[i] = 0;
}

/** max |a − b| relative to the larger magnitude of b. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

const ITERS = 10;

describe('NMF of data agrees with a float64 reference loop', () => {
  for (const [solver, betaLoss, storage] of [
    ['cd', 'frobenius', 'dense'],
    ['mu', 'frobenius', 'dense'],
    ['mu', 'kullback-leibler', 'dense'],
    ['cd', 'frobenius', 'sparse'],
    ['mu', 'frobenius', 'sparse'],
  ] as const) {
    it(`${solver}, ${betaLoss}, ${storage === 'sparse' ? 'X sparse (CSR products), ' : ''}with and without penalties`, () => {
      fc.assert(
        fc.property(
          storage === 'sparse' ? wellPosed.map(sparsified) : wellPosed,
          regularization,
          (p, reg) => {
            const options = { nComponents: p.k, solver, betaLoss, tol: 0, maxIter: ITERS, ...reg };
            const model = new NMF(options, { backend });
            const x = nmfData(p.n, p.d, p.x, backend, 'test', storage);
            expect(x.sparse !== undefined).toBe(storage === 'sparse');
            const w = model.fitTransform(x, { W: p.w, H: p.h });
            const rw = p.w.slice();
            const rh = p.h.slice();
            const pen = penalties(model.options, p.n, p.d);
            const snapshots: [Float64Array, Float64Array][] = [];
            for (let i = 0; i < ITERS; i++) {
              if (solver === 'cd') refCdIteration(p, rw, rh, pen);
              else refMuIteration(p, rw, rh, betaLoss === 'kullback-leibler', pen);
              snapshots.push([rw.slice(), rh.slice()]);
            }
            const refErr =
              betaLoss === 'frobenius'
                ? refFrobenius(p, rw, rh)
                : Math.sqrt(2 * Math.max(0, refKl(p, rw, rh)));
            expect(relDiff(model.components, rh)).toBeLessThan(2e-3);
            expect(relDiff(w, rw)).toBeLessThan(2e-3);
            expect(Math.abs(model.reconstructionErr - refErr)).toBeLessThanOrEqual(1e-3 * refErr + 1e-5);
            // tol 0 runs every iteration, unless cd's violation reaches exactly 0 (scikit-learn's
            // stop as well): then the factors are at a fixed point, and the reference stopped there
            // agrees with the reference run to the end.
            expect(model.nIter).toBeLessThanOrEqual(ITERS);
            if (model.nIter < ITERS) {
              expect(solver).toBe('cd');
              const [sw, sh] = snapshots[model.nIter - 1];
              expect(relDiff(sh, rh)).toBeLessThan(2e-3);
              expect(relDiff(sw, rw)).toBeLessThan(2e-3);
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});

describe('the WebAssembly cd sweep', () => {
  it('gives bit-identical factors and violation to the TypeScript sweep', () => {
    const fast = wasmCdSweep(backend);
    expect(fast).not.toBeNull();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        fc.boolean(),
        (rows, k, seed, f64t) => {
          const rng = Rng.seeded(seed);
          const alloc32 = (m: number) => backend.alloc!(m);
          const alloc64 = (m: number) => {
            const v = backend.alloc!(2 * m);
            return new Float64Array(v.buffer, v.byteOffset, m);
          };
          // Filled in place: the wasm sweep reads the backend's memory (.map would copy out of it).
          const fill = <T extends Float32Array | Float64Array>(a: T, v: () => number): T => {
            for (let i = 0; i < a.length; i++) a[i] = v();
            return a;
          };
          const f = fill(alloc64(rows * k), () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
          const g = alloc64(k * k);
          for (let s = 0; s < k; s++)
            for (let t = 0; t <= s; t++)
              g[s * k + t] = g[t * k + s] = s === t ? 1 + rng.uniform() : 0.3 * rng.uniform();
          if (k > 1) g[k + 1] = 0; // a zero Hessian is skipped
          const p = fill(alloc32(rows * k), () => rng.uniform());
          const t = f64t
            ? fill(alloc64(rows * k), () => rng.uniform())
            : fill(alloc32(rows * k), () => rng.uniform());
          const f2 = Float64Array.from(f);
          const ref = { f: f2, f32: new Float32Array(rows * k), g, p, t, rows, k, l1: 0.05 };
          const args = { f, f32: alloc32(rows * k), g, p, t, rows, k, l1: 0.05 };
          const v1 = cdSweepRows(ref);
          const v2 = fast!(args, alloc64(k));
          expect(v2).toBe(v1);
          expect(Array.from(f)).toEqual(Array.from(f2));
          expect(Array.from(args.f32)).toEqual(Array.from(ref.f32));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('splits long sweeps across two threads, bit for bit as on one (factors and violation)', () => {
    const two = new SimdBackend({ threads: 2 });
    try {
      const threaded = wasmCdSweep(two)!;
      const single = wasmCdSweep(two, { threads: false })!;
      expect(threaded).not.toBeNull();
      fc.assert(
        fc.property(
          fc.integer({ min: CD_SPLIT_MIN_ROWS, max: CD_SPLIT_MIN_ROWS + 301 }),
          fc.integer({ min: 1, max: 13 }),
          fc.integer(),
          fc.boolean(),
          (rows, k, seed, f64t) => {
            const rng = Rng.seeded(seed);
            const alloc32 = (m: number) => two.alloc(m);
            const alloc64 = (m: number) => {
              const v = two.alloc(2 * m);
              return new Float64Array(v.buffer, v.byteOffset, m);
            };
            const fill = <T extends Float32Array | Float64Array>(a: T, v: () => number): T => {
              for (let i = 0; i < a.length; i++) a[i] = v();
              return a;
            };
            const f0 = Float64Array.from({ length: rows * k }, () =>
              rng.uniform() < 0.3 ? 0 : rng.uniform(),
            );
            const g = alloc64(k * k);
            for (let s = 0; s < k; s++)
              for (let t = 0; t <= s; t++)
                g[s * k + t] = g[t * k + s] = s === t ? 1 + rng.uniform() : 0.3 * rng.uniform();
            const p = fill(alloc32(rows * k), () => rng.uniform());
            const t = f64t
              ? fill(alloc64(rows * k), () => rng.uniform())
              : fill(alloc32(rows * k), () => rng.uniform());
            const run = (sweep: typeof threaded) => {
              const f = alloc64(rows * k);
              f.set(f0);
              const a = { f, f32: alloc32(rows * k), g, p, t, rows, k, l1: 0.05 };
              return { v: sweep(a, alloc64(k)), f: Array.from(f), f32: Array.from(a.f32) };
            };
            const a = run(threaded);
            const b = run(single);
            expect(a.v).toBe(b.v);
            expect(a.f).toEqual(b.f);
            expect(a.f32).toEqual(b.f32);
            // Each row as in one sweep over all rows; only the violation's order of additions differs.
            const ref = {
              f: Float64Array.from(f0),
              f32: new Float32Array(rows * k),
              g,
              p,
              t,
              rows,
              k,
              l1: 0.05,
            };
            const v = cdSweepRows(ref);
            expect(a.f).toEqual(Array.from(ref.f));
            expect(a.f32).toEqual(Array.from(ref.f32));
            expect(Math.abs(a.v - v)).toBeLessThanOrEqual(1e-12 * v);
          },
        ),
        { numRuns: 8 },
      );
    } finally {
      two.dispose();
    }
  });
});

describe('mu and its losses', () => {
  it("never increases its objective (Lee & Seung's theorem), for both losses", () => {
    fc.assert(
      fc.property(
        problems,
        fc.constantFrom('frobenius', 'kullback-leibler') as fc.Arbitrary<'frobenius' | 'kullback-leibler'>,
        (p, loss) => {
          const ws = new Workspace(backend);
          const x = nmfData(p.n, p.d, p.x, backend);
          const f = {
            k: p.k,
            w: Float64Array.from(p.w),
            w32: Float32Array.from(p.w),
            ht: new Float64Array(p.d * p.k),
            ht32: new Float32Array(p.d * p.k),
          };
          for (let t = 0; t < p.k; t++)
            for (let j = 0; j < p.d; j++) f.ht[j * p.k + t] = f.ht32[j * p.k + t] = p.h[t * p.d + j];
          const objective = () => {
            const h = new Float64Array(p.k * p.d);
            for (let t = 0; t < p.k; t++) for (let j = 0; j < p.d; j++) h[t * p.d + j] = f.ht[j * p.k + t];
            return loss === 'frobenius' ? refFrobenius(p, f.w, h) : refKl(p, f.w, h);
          };
          const seen = [objective()];
          const none = { l1W: 0, l1H: 0, l2W: 0, l2H: 0 };
          fitMuData(x, f, loss, none, { tol: 0, maxIter: 15 }, ws, true, () => seen.push(objective()));
          for (let i = 1; i < seen.length; i++) {
            expect(seen[i]).toBeLessThanOrEqual(seen[i - 1] * (1 + 1e-5) + 1e-9); // float32 products
          }
          ws.release();
        },
      ),
      { numRuns: 30 },
    );
  });

  it('has a Kullback–Leibler divergence ≥ 0, and 0 at an exact fit', () => {
    fc.assert(
      fc.property(problems, (p) => {
        const ws = new Workspace(backend);
        const make = (x: Float64Array) => nmfData(p.n, p.d, x, backend);
        const ht = new Float64Array(p.d * p.k);
        for (let t = 0; t < p.k; t++) for (let j = 0; j < p.d; j++) ht[j * p.k + t] = p.h[t * p.d + j];
        const f = { k: p.k, w: p.w, w32: Float32Array.from(p.w), ht, ht32: Float32Array.from(ht) };
        expect(klDivergence(make(p.x), f, ws)).toBeGreaterThanOrEqual(-1e-9);
        const exact = make(Float64Array.from(wh(p, p.w, p.h), Math.fround));
        const total = exact.mean * p.n * p.d;
        expect(Math.abs(klDivergence(exact, f, ws))).toBeLessThan(1e-5 * total);
        ws.release();
      }),
      { numRuns: 30 },
    );
  });
});

describe('transform', () => {
  it('of the training data comes close to the fitTransform encodings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom('cd', 'mu') as fc.Arbitrary<'cd' | 'mu'>,
        (seed, solver) => {
          // An exactly rank-3 non-negative X: W given H is a unique NNLS solution both reach.
          const p = problem(20, 12, 3, seed);
          const x = wh(p, p.w, p.h);
          const model = new NMF(
            { nComponents: 3, solver, tol: 1e-10, maxIter: solver === 'cd' ? 400 : 2000 },
            { backend, rng: Rng.seeded(seed) },
          );
          const w = model.fitTransform({ rows: 20, cols: 12, values: x });
          const w2 = model.transform({ rows: 20, cols: 12, values: x });
          let num = 0;
          let den = 0;
          for (let i = 0; i < w.length; i++) {
            num += (w[i] - w2[i]) ** 2;
            den += w[i] ** 2;
          }
          expect(Math.sqrt(num / den)).toBeLessThan(0.05);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('regularization', () => {
  it('with l1Ratio 1 gives sparser components than none', () => {
    // A law about the penalty on average, not for every draw (one noisy draw in ~10 can tie), so it
    // is held over fixed seeds: the mean sparsity rises, and it rises in most cases.
    for (const solver of ['cd', 'mu'] as const) {
      const gains: number[] = [];
      for (let seed = 0; seed < 12; seed++) {
        {
          // Three parts (disjoint blocks of 10 pixels) mixed by random weights, plus noise everywhere:
          // without a penalty the noise leaks into every pixel of the components; L1 cuts it off.
          const rng = Rng.seeded(seed);
          const n = 40;
          const d = 30;
          const x = new Float64Array(n * d);
          for (let i = 0; i < n; i++) {
            const wts = [rng.uniform(), rng.uniform(), rng.uniform()];
            for (let j = 0; j < d; j++)
              x[i * d + j] = wts[Math.floor(j / 10)] * (0.5 + ((j * 7) % 5) / 5) + 0.1 * rng.uniform();
          }
          const p = { n, d, x };
          // The penalty on H alone (alphaW 0): L1 soft-thresholds H's entries towards 0.
          const fit = (alphaH: number) => {
            const m = new NMF(
              {
                nComponents: 3,
                solver,
                init: 'nndsvda',
                alphaW: 0,
                alphaH,
                l1Ratio: 1,
                maxIter: 100,
                tol: 0,
              },
              { backend, rng: Rng.seeded(seed) },
            );
            m.fit({ rows: p.n, cols: p.d, values: p.x });
            return componentSparsity(m.components, 3, p.d).hoyer;
          };
          gains.push(fit(0.02) - fit(0));
        }
      }
      const mean = gains.reduce((t, g) => t + g, 0) / gains.length;
      expect(mean, solver).toBeGreaterThan(0);
      expect(gains.filter((g) => g > 0).length, solver).toBeGreaterThanOrEqual(9);
    }
  });
});

describe('bad input', () => {
  const model = () => new NMF({ nComponents: 2 }, { backend });
  it('names a negative entry by row and column', () => {
    expect(() => model().fit({ rows: 2, cols: 3, values: [1, 0, 2, 0, -0.5, 1] })).toThrow(
      /row 1, column 1 is negative \(-0\.5\)/,
    );
  });
  it('names a NaN', () => {
    expect(() => model().fit({ rows: 2, cols: 2, values: [1, Number.NaN, 0, 1] })).toThrow(
      /row 0, column 1 is NaN/,
    );
  });
  it('refuses k > min(n, d)', () => {
    expect(() =>
      new NMF({ nComponents: 3 }, { backend }).fit({ rows: 2, cols: 5, values: new Array(10).fill(1) }),
    ).toThrow(/nComponents 3 is larger than min\(samples, pixels\) = min\(2, 5\) = 2/);
  });
  it("refuses Kullback–Leibler with 'cd'", () => {
    expect(() => new NMF({ nComponents: 2, betaLoss: 'kullback-leibler' }, { backend })).toThrow(
      /needs solver 'mu'/,
    );
  });
  it('refuses transform before fit and a wrong width', () => {
    expect(() => model().transform({ rows: 1, cols: 2, values: [1, 1] })).toThrow(/not fitted/);
    const m = model();
    m.fit({ rows: 3, cols: 3, values: [1, 0, 1, 0, 1, 1, 1, 1, 0] });
    expect(() => m.transform({ rows: 1, cols: 2, values: [1, 1] })).toThrow(
      /2 columns, the model was fitted on 3/,
    );
  });
});

describe('Hoyer sparsity', () => {
  it('is 0 for a constant vector, 1 for a single non-zero, and in [0, 1] otherwise', () => {
    expect(hoyerSparsity([2, 2, 2, 2])).toBeCloseTo(0, 12);
    expect(hoyerSparsity([0, 0, 3, 0])).toBeCloseTo(1, 12);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 2, maxLength: 30 }),
        (h) => {
          const s = hoyerSparsity(h);
          expect(s).toBeGreaterThanOrEqual(-1e-12);
          expect(s).toBeLessThanOrEqual(1 + 1e-12);
        },
      ),
    );
  });
});
