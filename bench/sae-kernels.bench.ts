// The SAE's own kernels on simd. (1) The top-k ops' backward kernels in row order against column
// order (src/backend/simd/sparse-order.ts; the forward has no column order, it gained nothing) at
// the SAE's shapes: batch 256, d = 784; the AuxK term (k_aux 256 drawn from
// the dead latents) and the main TopK term (k of all n). The two orders give the same bits
// (test/sparse-kernels.test.ts); 'auto' picks the column order from COLUMNS_FROM entries per
// column. (2) The decoder's row kernels (unit-norm rows, parallel gradient removed; src/backend/
// row-kernels.ts) in WebAssembly against their TypeScript references, n = 4,096. (3) Whole
// training steps of a TopK SAE with and without AuxK, before these kernels and after.
// Medians of interleaved rounds, so a busy machine slows both sides alike.
// Run: npm run bench -- sae-kernels
import { standardDictionary } from '../plugins/sae/dictionaries.ts';
import { referenceRowKernels } from '../src/backend/row-kernels.ts';
import { SimdBackend } from '../src/backend/simd/backend.ts';
import { SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import { defineBench, type Figure, median } from './harness.ts';

const M = 256;
const D = 784;
const ROUNDS = 7;

/** Sorted columns for each of M rows: k of a pool of `pool` columns (of n) shared by every row. */
function entries(rng: Rng, n: number, k: number, pool: number): Int32Array {
  const shared = rng.permutation(n).subarray(0, pool);
  const idx = new Int32Array(M * k);
  for (let i = 0; i < M; i++) {
    const pick = rng.permutation(pool).subarray(0, k);
    idx.set(Int32Array.from(pick, (q) => shared[q]).sort(), i * k);
  }
  return idx;
}

export default defineBench({
  name: 'sae-kernels',
  description: `SAE kernels on simd: top-k backward in row vs column order (batch ${M}, d = ${D}), decoder row kernels vs TypeScript, training steps with and without AuxK`,
  async run(log) {
    const figures: Figure[] = [];
    const backends = {
      rows: new SimdBackend({ sparseTraversal: 'rows' }),
      columns: new SimdBackend({ sparseTraversal: 'columns' }),
    };
    const shapes = [
      { what: 'AuxK, n = 4096', n: 4096, k: 256, pool: 2048 },
      { what: 'AuxK, n = 1024', n: 1024, k: 256, pool: 512 },
      { what: 'TopK, n = 4096, k = 32', n: 4096, k: 32, pool: 4096 },
      { what: 'TopK, n = 4096, k = 8', n: 4096, k: 8, pool: 4096 },
      { what: 'TopK, n = 1024, k = 32', n: 1024, k: 32, pool: 1024 },
      { what: 'TopK, n = 1024, k = 8', n: 1024, k: 8, pool: 1024 },
    ];
    for (const { what, n, k, pool } of shapes) {
      const rng = Rng.seeded(n + k);
      const idx = entries(rng, n, k, pool);
      const perColumn = (M * k) / new Set(idx).size;
      const calls = Object.fromEntries(
        Object.entries(backends).map(([order, be]) => {
          const buf = (len: number) => {
            const a = be.alloc(len);
            for (let i = 0; i < len; i++) a[i] = rng.normal();
            return a;
          };
          const [v, w, g, x, gw, gv, gx] = [M * k, n * D, M * D, M * D, n * D, M * k, M * D].map(buf);
          const kern = be.kernels;
          return [
            order,
            {
              'decoder backward': () => kern.sparseRowsMatmulBackward!(g, v, idx, M, k, w, D, gv, gw),
              'encoder backward': () => kern.sparseLinearBackward!(v, idx, M, k, x, D, w, n, gw, gx),
            },
          ];
        }),
      );
      const line: string[] = [];
      for (const kernel of ['decoder backward', 'encoder backward'] as const) {
        const times: Record<string, number[]> = { rows: [], columns: [] };
        for (let r = 0; r <= ROUNDS; r++)
          for (const order of ['rows', 'columns']) {
            const t0 = performance.now();
            calls[order][kernel]();
            if (r > 0) times[order].push(performance.now() - t0);
          }
        const [rowsMs, colsMs] = [median(times.rows), median(times.columns)];
        line.push(
          `${kernel} ${rowsMs.toFixed(2)} / ${colsMs.toFixed(2)} ms (${(rowsMs / colsMs).toFixed(2)}×)`,
        );
        figures.push(
          { name: `${what}: ${kernel}, row order`, value: rowsMs, unit: 'ms' },
          { name: `${what}: ${kernel}, column order`, value: colsMs, unit: 'ms' },
          {
            name: `${what}: ${kernel}, row / column`,
            value: rowsMs / colsMs,
            unit: '×',
            details: { perColumn },
          },
        );
      }
      log(`${what} (${perColumn.toFixed(1)} entries a column), row / column order: ${line.join('; ')}`);
    }

    // The decoder's row kernels at n = 4096: WebAssembly against the TypeScript references.
    {
      const n = 4096;
      const be = backends.rows;
      const rng = Rng.seeded(3);
      const fill = (a: Float32Array) => {
        for (let i = 0; i < a.length; i++) a[i] = rng.normal();
        return a;
      };
      const [w, g] = [fill(be.alloc(n * D)), fill(be.alloc(n * D))];
      referenceRowKernels.normalizeRows(w, n, D);
      const sides = { typescript: referenceRowKernels, simd: be.kernels } as const;
      const line: string[] = [];
      for (const kernel of ['normalizeRows', 'removeParallelComponent'] as const) {
        const times: Record<string, number[]> = { typescript: [], simd: [] };
        for (let r = 0; r <= ROUNDS; r++)
          for (const side of ['typescript', 'simd'] as const) {
            const t0 = performance.now();
            if (kernel === 'normalizeRows') sides[side].normalizeRows!(w, n, D);
            else sides[side].removeParallelComponent!(g, w, n, D);
            if (r > 0) times[side].push(performance.now() - t0);
          }
        const [tsMs, simdMs] = [median(times.typescript), median(times.simd)];
        line.push(`${kernel} ${tsMs.toFixed(2)} / ${simdMs.toFixed(2)} ms (${(tsMs / simdMs).toFixed(2)}×)`);
        figures.push(
          { name: `${kernel} ${n}×${D}, TypeScript`, value: tsMs, unit: 'ms' },
          { name: `${kernel} ${n}×${D}, simd`, value: simdMs, unit: 'ms' },
          { name: `${kernel} ${n}×${D}, TypeScript / simd`, value: tsMs / simdMs, unit: '×' },
        );
      }
      log(`decoder row kernels, ${n}×${D}, TypeScript / simd: ${line.join('; ')}`);
    }

    // Whole steps, with AuxK (a dead window short enough that k_aux = 256 dead latents exist) and
    // without: "before" = row order and the TypeScript row kernels (as the code stood before
    // these kernels), "after" = the defaults. Same bits either way (test/sae.test.ts).
    const n = 4096;
    const k = 8;
    const rows = M * 16;
    const rng = Rng.seeded(1);
    const x = Float32Array.from({ length: rows * D }, () => Math.max(0, rng.normal()));
    const makeModel = async (side: 'before' | 'after') => {
      const backend = new SimdBackend({ sparseTraversal: side === 'before' ? 'rows' : 'auto' });
      if (side === 'before') Object.assign(backend.kernels, referenceRowKernels);
      const m = new SparseAutoencoder(backend, { inputDim: D, latents: n, k });
      const atoms = await standardDictionary.init({
        latents: n,
        inputDim: D,
        data: { x, rows },
        params: {},
        rng: Rng.seeded(2),
      });
      m.setDictionary(atoms, dataMoments(x, rows, D).mean);
      return m;
    };
    const models = { before: await makeModel('before'), after: await makeModel('after') };
    for (const aux of [true, false]) {
      const options = {
        epochs: 1,
        batchSize: M,
        auxCoefficient: aux ? 1 / 32 : 0,
        kAux: 256,
        deadSamples: M * 2,
        recordEvery: 1e9,
        evalSet: { x, rows: 1 },
      };
      const steps: Record<string, number[]> = { before: [], after: [] };
      for (let r = 0; r <= 3; r++)
        for (const side of ['before', 'after'] as const) {
          const t = trainSae(models[side], x, rows, options, Rng.seeded(r));
          if (r > 0) steps[side].push((t.seconds * 1000) / t.steps);
        }
      const [beforeMs, afterMs] = [median(steps.before), median(steps.after)];
      const what = `SAE step ${aux ? 'with AuxK (k_aux 256)' : 'without AuxK'}, n = ${n}, k = ${k}, batch ${M}`;
      log(
        `${what}: before ${beforeMs.toFixed(1)} ms, after ${afterMs.toFixed(1)} ms (${(beforeMs / afterMs).toFixed(2)}×)`,
      );
      figures.push(
        { name: `${what}, before`, value: beforeMs, unit: 'ms' },
        { name: `${what}, after`, value: afterMs, unit: 'ms' },
        { name: `${what}, before / after`, value: beforeMs / afterMs, unit: '×' },
      );
    }
    for (const model of Object.values(models)) model.dispose();
    return figures;
  },
});
