// The pieces that NMF of the identity (`nmf`) and NMF of data (the estimator NMF) share since the two
// stacks became one: the options table, the 'mu' entry rule, the cd coordinate rule, the stop rule,
// the row driver of `nmf`'s half-steps, ‖T − W·H‖², and the cache files' float64 payloads.
// Oracles: scikit-learn 1.2's documented defaults, its update formulas written out here, the
// backend's own resident kernel (a separate implementation of the 'mu' rule), ml-matrix products,
// and plain loops.
import fc from 'fast-check';
import { Matrix } from 'ml-matrix';
import { getBackend, nmfDataOptionsSchema, nmfOptionsSchema, Rng, squaredDistanceToProduct } from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { hostResident, MU_EPSILON } from '../src/backend/resident.ts';
import type { Backend } from '../src/backend/types.ts';
import { cdCoordinate } from '../src/nmf/cd.ts';
import { EPSILON } from '../src/nmf/data-loss.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { READBACKS_PER_CHECK } from '../src/nmf/data-mu-resident.ts';
import { Workspace } from '../src/nmf/data-products.ts';
import { type RowUpdate, rowScratch, updateRows } from '../src/nmf/linalg.ts';
import { fitMuData, muEntry } from '../src/nmf/mu.ts';
import { DecreaseCheck, muIterations } from '../src/nmf/stopping.ts';
import { float64Arrays, float64LittleEndian } from '../src/util/cached-file.ts';

const nonNegative = fc.double({ min: 0, max: 1e3, noNaN: true });
const f32 = (v: number) => Math.fround(v);

describe('one options table', () => {
  it("gives both uses scikit-learn 1.2's NMF defaults", () => {
    // sklearn.decomposition.NMF (1.2): solver='cd', tol=1e-4, max_iter=200, init=None,
    // beta_loss='frobenius', alpha_W=0.0, alpha_H='same', l1_ratio=0.0.
    const data = nmfDataOptionsSchema.parse({ nComponents: 3 });
    expect(data).toEqual({
      nComponents: 3,
      solver: 'cd',
      betaLoss: 'frobenius',
      tol: 1e-4,
      maxIter: 200,
      alphaW: 0,
      alphaH: 'same',
      l1Ratio: 0,
    });
    const identity = nmfOptionsSchema.parse({ rank: 3 });
    expect(identity).toEqual({ rank: 3, solver: 'cd', tol: 1e-4, maxIter: 200, checkEvery: 10 });
  });

  it('declares each shared parameter once: the same schema object in both', () => {
    for (const key of ['solver', 'init', 'tol', 'maxIter'] as const) {
      expect(nmfDataOptionsSchema.shape[key]).toBe(nmfOptionsSchema.shape[key]);
    }
  });

  it("rejects the other use's parameters by name", () => {
    expect(() => nmfOptionsSchema.parse({ rank: 2, betaLoss: 'frobenius' })).toThrow(/betaLoss/);
    expect(() => nmfDataOptionsSchema.parse({ nComponents: 2, checkEvery: 5 })).toThrow(/checkEvery/);
    expect(() => nmfDataOptionsSchema.parse({ nComponents: 2, tol: -1 })).toThrow(/tol/);
  });
});

describe("the 'mu' rule, muEntry", () => {
  it("is scikit-learn's f·num / (den + l1 + l2·f), a zero denominator replaced by float32's epsilon", () => {
    fc.assert(
      fc.property(nonNegative, nonNegative, nonNegative, nonNegative, nonNegative, (f, num, den, l1, l2) => {
        const d = den + l1 + l2 * f;
        expect(muEntry(f, num, den, l1, l2)).toBe(f * (num / (d === 0 ? 2 ** -23 : d)));
      }),
      { numRuns: 300 },
    );
    expect(muEntry(2, 3, 0, 0, 0)).toBe(2 * (3 / 2 ** -23));
    expect(muEntry(0, 5, 1, 0, 0)).toBe(0);
  });

  it("agrees bit for bit with the backend's resident kernel, which the chained data solver uses", () => {
    expect(MU_EPSILON).toBe(EPSILON);
    const ops = hostResident(getBackend('reference'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(nonNegative, nonNegative, fc.oneof(fc.constant(0), nonNegative)), {
          minLength: 1,
          maxLength: 24,
        }),
        nonNegative,
        nonNegative,
        (entries, l1, l2) => {
          const n = entries.length;
          const [f, num, den] = [0, 1, 2].map((j) => Float32Array.from(entries, (e) => e[j]));
          const up = [f, num, den].map((a) => ops.upload(a, n, 1));
          const out = ops.download(ops.multiplicativeUpdate(up[0], up[1], up[2], l1, l2));
          for (let i = 0; i < n; i++) expect(out[i]).toBe(f32(muEntry(f[i], num[i], den[i], l1, l2)));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the cd rule, cdCoordinate', () => {
  it('is the minimizer, clipped at 0, of the quadratic along one coordinate', () => {
    fc.assert(
      fc.property(
        nonNegative,
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        nonNegative,
        (old, grad, hess, other) => {
          // q(x) = grad·(x − old) + hess/2·(x − old)², the loss along the coordinate
          const q = (x: number) => grad * (x - old) + (hess / 2) * (x - old) ** 2;
          const next = cdCoordinate(old, grad, hess);
          expect(next).toBe(Math.max(0, old - grad / hess));
          expect(q(next)).toBeLessThanOrEqual(q(other) + 1e-9 * (1 + Math.abs(q(other))));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the stop rule', () => {
  /** The rule written out: checks every `every` iterations, against the previous check's error. */
  function oracle(errors: number[], tol: number, every: number, maxIter: number): number {
    let previous = errors[0];
    for (let iter = 1; iter <= maxIter; iter++) {
      if (tol > 0 && iter % every === 0) {
        if ((previous - errors[iter]) / errors[0] < tol) return iter;
        previous = errors[iter];
      }
    }
    return maxIter;
  }

  const runs = fc.record({
    errors: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 61, maxLength: 61 }),
    tol: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 0.5, noNaN: true })),
    maxIter: fc.integer({ min: 1, max: 60 }),
  });

  it('muIterations stops where the rule written out does, reading the error only at init and at checks', () => {
    fc.assert(
      fc.property(runs, ({ errors, tol, maxIter }) => {
        let iter = 0;
        const reads: number[] = [];
        const done = muIterations(
          { tol, maxIter },
          () => {
            reads.push(iter);
            return errors[iter];
          },
          () => iter++,
        );
        expect(done).toBe(oracle(errors, tol, 10, maxIter));
        expect(reads[0]).toBe(0);
        for (const at of reads.slice(1)) expect(at % 10).toBe(0);
        if (tol === 0) expect(reads).toEqual([0]);
      }),
      { numRuns: 200 },
    );
  });

  it('DecreaseCheck with any interval is the same rule', () => {
    fc.assert(
      fc.property(runs, fc.integer({ min: 1, max: 12 }), ({ errors, tol, maxIter }, every) => {
        const check = new DecreaseCheck(tol, every);
        check.start(errors[0]);
        let stoppedAt = maxIter;
        for (let iter = 1; iter <= maxIter; iter++) {
          if (check.due(iter) && check.stalled(errors[iter])) {
            stoppedAt = iter;
            break;
          }
        }
        expect(stoppedAt).toBe(oracle(errors, tol, every, maxIter));
      }),
      { numRuns: 200 },
    );
  });
});

describe("updateRows, the row driver of nmf's half-steps", () => {
  it('hands each row, in order, with exactly its non-zero columns listed in ascending order', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((k) =>
            fc.tuple(
              fc.constant(k),
              fc.array(fc.oneof(fc.constant(0), nonNegative), { minLength: k, maxLength: 8 * k }),
            ),
          ),
        ([k, values]) => {
          const rows = Math.floor(values.length / k);
          const f = Float64Array.from(values.slice(0, rows * k));
          const seen: number[][] = [];
          const record: RowUpdate = (_f, _g, _t, o, _k, count, { nz }) => {
            expect(o).toBe(seen.length * k);
            seen.push([...nz.subarray(0, count)]);
          };
          const none = new Float64Array(0);
          updateRows(record, f, none, none, rows, k, rowScratch(k));
          const expected = Array.from({ length: rows }, (_, i) =>
            Array.from({ length: k }, (_, s) => s).filter((s) => f[i * k + s] !== 0),
          );
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('squaredDistanceToProduct', () => {
  it('is ‖T − W·H‖²_F (oracle: ml-matrix)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer(),
        (m, k, d, seed) => {
          const rng = Rng.seeded(seed);
          const next = () => (rng.uniform() < 0.3 ? 0 : rng.uniform());
          const w = Float64Array.from({ length: m * k }, next);
          const h = Float64Array.from({ length: k * d }, next);
          const t = Float64Array.from({ length: m * d }, next);
          const residual = Matrix.from1DArray(m, d, t).sub(
            Matrix.from1DArray(m, k, w).mmul(Matrix.from1DArray(k, d, h)),
          );
          const want = residual.norm('frobenius') ** 2;
          const got = squaredDistanceToProduct((i, j) => t[i * d + j], w, h, m, k, d);
          expect(got).toBeCloseTo(want, 10);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the cache files' float64 payloads", () => {
  it('round-trip bit for bit, little-endian, and a payload of another size is refused naming both sizes', () => {
    const parts = [
      new Float64Array([1, -0, Number.MIN_VALUE]),
      new Float64Array([]),
      new Float64Array([Math.PI]),
    ];
    const bytes = parts.map(float64LittleEndian);
    expect(bytes[0][7]).toBe(0x3f); // 1.0 = 0x3FF0000000000000, most significant byte last
    const payload = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) {
      payload.set(b, at);
      at += b.length;
    }
    const back = float64Arrays(payload, [3, 0, 1], (why) => new Error(why));
    expect(back.map((a) => [...a])).toEqual(parts.map((a) => [...a]));
    expect(Object.is(back[0][1], -0)).toBe(true);
    expect(() => float64Arrays(payload, [3, 1, 1], (why) => new Error(`file.bin: ${why}`))).toThrow(
      'file.bin: payload of 32 bytes, expected 40 for the shapes in the header',
    );
  });
});

describe("the 'mu' solve chained on resident ops (here the host's, so it runs without GL)", () => {
  /** The reference backend, with its host resident ops counted: fitMuData chains on them. */
  function chained() {
    const base = getBackend('reference');
    const host = hostResident(base);
    const counts = { uploads: 0, downloads: 0 };
    const backend: Backend = {
      name: 'reference with host resident ops',
      description: '',
      gemm: base.gemm.bind(base),
      kernels: base.kernels,
      resident: {
        ...host,
        upload: (data, rows, cols) => {
          counts.uploads++;
          return host.upload(data, rows, cols);
        },
        download: (m, out) => {
          counts.downloads++;
          return host.download(m, out);
        },
      },
    };
    return { backend, counts };
  }

  function problem(backend: Backend, n: number, d: number, k: number) {
    const rng = Rng.seeded(11);
    const values = Float32Array.from({ length: n * d }, () => rng.uniform());
    const x = nmfData(n, d, values, backend, 'test', 'dense');
    const w = Float64Array.from({ length: n * k }, () => Math.fround(0.1 + rng.uniform()));
    const ht = Float64Array.from({ length: d * k }, () => Math.fround(0.1 + rng.uniform()));
    return {
      x,
      f: { k, w, ht, w32: Float32Array.from(w), ht32: Float32Array.from(ht) },
      ws: new Workspace(backend),
    };
  }

  it('uploads 3 matrices, reads back 2 + 4 a loss check, stops where the host solve stops, and agrees with it', () => {
    const [n, d, k] = [40, 30, 5];
    const pen = { l1W: 0.01, l1H: 0, l2W: 0.02, l2H: 0.01 };
    for (const [tol, maxIter] of [
      [0, 25],
      [1e-12, 30],
      [1e-2, 200],
    ] as const) {
      const { backend, counts } = chained();
      const c = problem(backend, n, d, k);
      const h = problem(getBackend('reference'), n, d, k);
      const seen: number[] = [];
      const iterations = fitMuData(c.x, c.f, 'frobenius', pen, { tol, maxIter }, c.ws, true, (i) =>
        seen.push(i),
      );
      const hostIterations = fitMuData(h.x, h.f, 'frobenius', pen, { tol, maxIter }, h.ws);
      expect(iterations).toBe(hostIterations);
      expect(seen).toEqual(Array.from({ length: iterations }, (_, i) => i + 1));
      const checks = tol > 0 ? Math.floor(iterations / 10) : 0;
      expect(counts.uploads).toBe(3);
      expect(counts.downloads).toBe(2 + READBACKS_PER_CHECK * (1 + checks));
      // float32 products on the chain against float64 sums over samples on the host.
      for (const [got, want] of [
        [c.f.w, h.f.w],
        [c.f.ht, h.f.ht],
      ]) {
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i])));
      }
    }
  });
});
