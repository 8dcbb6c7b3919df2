// Online SGD at batch 1 for the shallow autoencoder, D = 784, K = 32, encoder and output biases: nmfinit's fused
// SIMD step against the same model in PyTorch (bench/python/shallow_torch.py, one thread:
// torch.set_num_threads(1), since nmfinit's step is single-threaded) when torch is installed.
// Then K = 4 at D = 784 (the Fashion-MNIST part's models): the fused K = 4 kernels against the
// generic ones, side by side.
// Run: npm run bench -- shallow   (SHALLOW_BENCH_STEPS=N to change the 20,000 timed steps)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onlineSampler, type PreparedData, spikedLaw } from '../plugins/studies/shallow-pca/data.ts';
import { ShallowAutoencoder } from '../src/shallow/model.ts';
import { Rng } from '../src/tensor/rng.ts';
import { defineBench, type Figure, median } from './harness.ts';
import { pythonWith } from './python.ts';

const D = 784;
const K = 32;
const STEPS = Number(process.env.SHALLOW_BENCH_STEPS ?? 20000);
const ACTS = ['linear', 'relu', 'erf'] as const;

export default defineBench({
  name: 'shallow',
  description: `shallow autoencoder, online SGD at batch 1, D = ${D}, K = ${K}, ${STEPS} steps: steps/s, nmfinit vs PyTorch (1 thread)`,
  async run(log) {
    const figures: Figure[] = [];
    const x = Rng.seeded(2).fillNormal(new Float32Array(1000 * D));
    const ours = new Map<string, number>();
    for (const activation of ACTS) {
      for (const tied of [false, true]) {
        const model = new ShallowAutoencoder(
          { d: D, k: K, activation, tied, bias: 'both', lr: 0.1 },
          Rng.seeded(1),
        );
        for (let i = 0; i < 2000; i++) model.step(x, (i % 1000) * D);
        const t0 = performance.now();
        for (let i = 0; i < STEPS; i++) model.step(x, (i % 1000) * D);
        const rate = STEPS / ((performance.now() - t0) / 1000);
        ours.set(`${activation}/${tied}`, rate);
        figures.push({
          name: `nmfinit ${activation} ${tied ? 'tied' : 'untied'}`,
          value: rate,
          unit: 'steps/s',
        });
      }
    }
    figures.push(...fusedK4Figures(log));
    figures.push(...authorsOnlineFigures(log));
    const py = pythonWith('torch');
    if (!py) {
      log('PyTorch not installed: nmfinit alone');
      return figures;
    }
    const script = fileURLToPath(new URL('./python/shallow_torch.py', import.meta.url));
    const out = spawnSync(py, [script, String(D), String(K), String(STEPS)], { encoding: 'utf8' });
    if (out.status !== 0) {
      log(`PyTorch run failed: ${out.stderr.trim().split('\n').at(-1)}`);
      return figures;
    }
    for (const line of out.stdout.trim().split('\n')) {
      const r = JSON.parse(line) as { activation: string; tied: boolean; stepsPerSecond: number };
      const mine = ours.get(`${r.activation}/${r.tied}`);
      const label = `${r.activation} ${r.tied ? 'tied' : 'untied'}`;
      figures.push({ name: `pytorch ${label}`, value: r.stepsPerSecond, unit: 'steps/s' });
      if (mine !== undefined) {
        figures.push({ name: `nmfinit / pytorch ${label}`, value: mine / r.stepsPerSecond, unit: '×' });
        log(`${label}: nmfinit ${mine.toFixed(0)} vs pytorch ${r.stepsPerSecond.toFixed(0)} steps/s`);
      }
    }
    return figures;
  },
});

/**
 * The authors' spiked setup (experiments/shallow-authors.ts): D = 500, K = 4, erf, untied, a fresh
 * input drawn every step. Times the draw alone and draw + step: the draw of D + 4 normals costs as
 * much as the step.
 */
function authorsOnlineFigures(log: (line: string) => void): Figure[] {
  const d = 500;
  const law = spikedLaw({ dim: d, spikes: [289, 81, 25, 9], bulk: 1 });
  const draw = onlineSampler({ d, law } as unknown as PreparedData, Rng.seeded(3));
  const model = new ShallowAutoencoder(
    { d, k: 4, activation: 'erf', tied: false, bias: 'none', lr: 0.1 },
    Rng.seeded(4),
  );
  const x = new Float32Array(d);
  const rate = (f: () => void) => {
    for (let i = 0; i < 2000; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) f();
    return STEPS / ((performance.now() - t0) / 1000);
  };
  const drawOnly = rate(() => draw(x));
  const both = rate(() => {
    draw(x);
    model.step(x, 0);
  });
  log(
    `authors' spiked online, D = ${d}, K = 4: draw ${drawOnly.toFixed(0)}/s, draw + step ${both.toFixed(0)} steps/s`,
  );
  // The authors' grid of 12 configurations for one seed: each with its own draws (as the runs
  // trained one by one), or on one stream of draws (shallow-pca's host side by side).
  const grid: ShallowAutoencoder[] = [];
  for (const activation of ACTS)
    for (const tied of [true, false])
      for (const bias of ['none', 'encoder'] as const)
        grid.push(
          new ShallowAutoencoder(
            { d, k: 4, activation, tied, bias, lr: 1e-3, tiedGradient: 'encoder' },
            Rng.seeded(grid.length),
          ),
        );
  const alone =
    grid.length *
    rate(() => {
      for (const m of grid) {
        draw(x);
        m.step(x, 0);
      }
    });
  const shared =
    grid.length *
    rate(() => {
      draw(x);
      for (const m of grid) m.step(x, 0);
    });
  log(
    `the authors' 12 configurations of one seed: ${alone.toFixed(0)} model-steps/s one by one, ${shared.toFixed(0)} on one stream of draws (${(shared / alone).toFixed(2)}×)`,
  );
  return [
    { name: 'online draw D=500 (spiked law)', value: drawOnly, unit: 'draws/s' },
    { name: 'online draw + step D=500 K=4 erf untied', value: both, unit: 'steps/s' },
    { name: "authors' 12 configurations, each its own draws", value: alone, unit: 'model-steps/s' },
    { name: "authors' 12 configurations on one stream of draws", value: shared, unit: 'model-steps/s' },
    { name: 'one stream / own draws', value: shared / alone, unit: '×' },
  ];
}

/**
 * The Fashion-MNIST part's models (D = 784, K = 4, experiments/shallow-authors.ts): the fused K = 4
 * step (src/shallow/kernels-k4-wat.ts) against the generic SIMD kernels on the same model and
 * samples, interleaved in five rounds; medians and their ratio. The two leave the same bits
 * (test/shallow-k4.test.ts), so the ratio is all that changes.
 */
function fusedK4Figures(log: (line: string) => void): Figure[] {
  const d = 784;
  const steps = Math.max(1000, Math.round(STEPS / 2));
  const x = Rng.seeded(5).fillNormal(new Float32Array(1000 * d));
  const figures: Figure[] = [];
  const kinds = [
    { label: 'tied, full gradient', tied: true, tiedGradient: 'full' },
    { label: 'tied, encoder gradient', tied: true, tiedGradient: 'encoder' },
    { label: 'untied', tied: false, tiedGradient: 'full' },
  ] as const;
  for (const kind of kinds) {
    const make = (fusedK4: boolean) =>
      new ShallowAutoencoder(
        {
          d,
          k: 4,
          activation: 'erf',
          tied: kind.tied,
          tiedGradient: kind.tiedGradient,
          bias: 'encoder',
          lr: 0.01,
          fusedK4,
        },
        Rng.seeded(1),
      );
    const models = { fused: make(true), generic: make(false) };
    const rates: Record<keyof typeof models, number[]> = { fused: [], generic: [] };
    for (let round = 0; round < 5; round++) {
      for (const name of ['generic', 'fused'] as const) {
        const model = models[name];
        const t0 = performance.now();
        for (let i = 0; i < steps; i++) model.step(x, (i % 1000) * d);
        rates[name].push(steps / ((performance.now() - t0) / 1000));
      }
    }
    const fused = median(rates.fused);
    const generic = median(rates.generic);
    log(
      `D = ${d}, K = 4, erf ${kind.label}: fused ${fused.toFixed(0)} vs generic ${generic.toFixed(0)} steps/s (${(fused / generic).toFixed(2)}×)`,
    );
    figures.push(
      { name: `K=4 D=784 erf ${kind.label}: fused kernels`, value: fused, unit: 'steps/s' },
      { name: `K=4 D=784 erf ${kind.label}: generic kernels`, value: generic, unit: 'steps/s' },
      { name: `K=4 D=784 erf ${kind.label}: fused / generic`, value: fused / generic, unit: '×' },
    );
  }
  return figures;
}
