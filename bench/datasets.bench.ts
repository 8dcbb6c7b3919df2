// Dataset loading: warm and cold load times, the cost of `limit`, and peak memory of a warm load
// measured in a fresh child process. Run: npm run bench -- datasets
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fashionMnist, mnist, mnistDataDir } from '../plugins/datasets/index.ts';
import {
  type DatasetPlugin,
  datasetFromBytes,
  loadOrBuildCachedSplit,
  numberedClassNames,
  readIdxSplit,
  type Split,
} from '../src/index.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';

const SPLITS: Split[] = ['train', 'test'];
const REPEATS = 5;

async function loadBoth(plugin: DatasetPlugin, cacheDir: string, limit?: number): Promise<number> {
  let floats = 0;
  for (const split of SPLITS) {
    const ds = await plugin.load({ split, limit, params: {}, cacheDir });
    floats += ds.images.length;
  }
  return floats;
}

/** Runs this file as a child: one warm or cold load of both splits, then prints its figures as JSON. */
async function childMain(dataset: string, cacheDir: string): Promise<void> {
  const plugin = dataset === 'mnist' ? mnist : fashionMnist;
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  const floats = await loadBoth(plugin, cacheDir);
  const ms = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      ms,
      baseline,
      peakRss,
      arrayBuffers: process.memoryUsage().arrayBuffers,
      floatBytes: floats * 4,
    }),
  );
}

interface ChildFigures {
  ms: number;
  baseline: number;
  peakRss: number;
  arrayBuffers: number;
  floatBytes: number;
}

function runChild(dataset: string, cacheDir: string): ChildFigures {
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', self, '--child', dataset, cacheDir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (out.status !== 0) throw new Error(`child load of ${dataset} failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as ChildFigures;
}

const MiB = 2 ** 20;

function memoryFigures(dataset: string, f: ChildFigures): Figure[] {
  const details = {
    baselineMiB: f.baseline / MiB,
    peakRssMiB: f.peakRss / MiB,
    arrayBuffersMiB: f.arrayBuffers / MiB,
    float32MiB: f.floatBytes / MiB,
  };
  return [
    {
      name: `${dataset} warm load peak RSS above baseline ÷ Float32 size (target < 3)`,
      value: (f.peakRss - f.baseline) / f.floatBytes,
      unit: '×',
      details,
    },
    {
      name: `${dataset} warm load peak RSS (whole process) ÷ Float32 size`,
      value: f.peakRss / f.floatBytes,
      unit: '×',
      details,
    },
  ];
}

export default defineBench({
  name: 'datasets',
  description: 'dataset plugin load times (train + test), limit cost, and peak memory in a fresh process',
  async run(log) {
    const figures: Figure[] = [];
    const cacheDir = mkdtempSync(join(tmpdir(), 'nmfinit-bench-'));
    try {
      // Cold: a fresh process and an empty cache, so the JSON is parsed and the cache written.
      const cold = runChild('fashion-mnist', cacheDir);
      log(`fashion-mnist cold: ${cold.ms.toFixed(0)} ms, peak RSS ${(cold.peakRss / MiB).toFixed(0)} MiB`);
      figures.push({
        name: 'fashion-mnist cold load, train + test (target < 15000)',
        value: cold.ms,
        unit: 'ms',
        details: { peakRssMiB: cold.peakRss / MiB },
      });

      for (const plugin of [mnist, fashionMnist]) {
        const times = await timeIt(() => loadBoth(plugin, cacheDir), REPEATS);
        figures.push({
          name: `${plugin.name} warm load, train + test, median of ${REPEATS} (target < 1000)`,
          value: median(times),
          unit: 'ms',
          details: { times },
        });
        const limited = await timeIt(
          () => plugin.load({ split: 'train', limit: 3000, params: {}, cacheDir }),
          REPEATS,
        );
        figures.push({
          name: `${plugin.name} train with limit 3000, median of ${REPEATS}`,
          value: median(limited),
          unit: 'ms',
          details: { times: limited },
        });
      }

      // Would a binary cache make MNIST faster than reading its raw IDX files? Same conversion, other source.
      const viaCache = await timeIt(async () => {
        for (const split of SPLITS) {
          const cached = await loadOrBuildCachedSplit({
            cacheDir,
            dataset: 'mnist-bench',
            split,
            key: 'bench',
            build: () => ({
              train: { ...readIdxSplit(mnistDataDir(), 'train'), classNames: numberedClassNames(10) },
              test: { ...readIdxSplit(mnistDataDir(), 'test'), classNames: numberedClassNames(10) },
            }),
          });
          datasetFromBytes(cached, { name: 'mnist', split, classNames: cached.classNames, source: 'cache' });
        }
      }, REPEATS);
      figures.push({
        name: `mnist warm load through a binary cache instead of raw IDX (comparison), median of ${REPEATS}`,
        value: median(viaCache),
        unit: 'ms',
        details: { times: viaCache },
      });

      for (const dataset of ['mnist', 'fashion-mnist']) {
        const f = runChild(dataset, cacheDir);
        log(
          `${dataset} warm in a fresh process: ${f.ms.toFixed(0)} ms, baseline ${(f.baseline / MiB).toFixed(0)} MiB, peak ${(f.peakRss / MiB).toFixed(0)} MiB, Float32 ${(f.floatBytes / MiB).toFixed(0)} MiB`,
        );
        figures.push({
          name: `${dataset} warm load in a fresh process, train + test`,
          value: f.ms,
          unit: 'ms',
        });
        figures.push(...memoryFigures(dataset, f));
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    return figures;
  },
});

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--child');
  await childMain(process.argv[at + 1], process.argv[at + 2]);
}
