import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Dataset,
  type DatasetPlugin,
  datasetGridPng,
  formatInspection,
  imageGridLayout,
  inspectDataset,
  Registry,
  summarizeSplit,
} from 'nmfinit';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { builtinDatasets, synthetic } from '../plugins/datasets/index.ts';
import {
  listDatasets,
  makeDatasetsCommand,
  parseParamsOption,
  runDatasetsCommand,
} from '../src/cli/commands/datasets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nmfinit-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function registryWithBuiltins(): Registry<DatasetPlugin> {
  const r = new Registry<DatasetPlugin>('dataset');
  for (const p of builtinDatasets) r.register(p);
  return r;
}

const args = { split: 'both' as const, 'grid-per-class': 10, 'cache-dir': tmp };

describe('datasets inspection', () => {
  it('summarises counts per class, value range and mean of a split', () => {
    const ds: Dataset = {
      name: 'hand',
      split: 'test',
      images: Float32Array.of(0, 0.5, 1, 0.25, 0.75, 0.5),
      labels: Uint8Array.of(2, 0, 2),
      count: 3,
      imageShape: [1, 2],
      classNames: ['a', 'b', 'c'],
    };
    expect(summarizeSplit(ds, 12)).toEqual({
      split: 'test',
      count: 3,
      perClass: [1, 0, 2],
      min: 0,
      max: 1,
      mean: 3 / 6,
      loadMs: 12,
    });
  });

  it('loads each split and prints a class × split table', async () => {
    const report = await inspectDataset(synthetic, {
      params: { classes: 3, trainCount: 25, testCount: 7 },
      cacheDir: tmp,
    });
    expect(report.splits.map((s) => [s.split, s.count, [...s.perClass]])).toEqual([
      ['train', 25, [9, 8, 8]],
      ['test', 7, [3, 2, 2]],
    ]);
    const text = formatInspection(report);
    expect(text).toMatch(/^synthetic: Seeded Gaussian-mixture/);
    expect(text).toMatch(/images 28×28, 3 classes/);
    expect(text).toMatch(/train: 25 samples, values min 0 max 1 mean 0\.\d{4}, loaded in \d+ ms/);
    // Class names that are just the labels ("0", "1", …) get no column of their own.
    expect(text.split('\n').slice(-4)).toEqual([
      'label      train       test',
      '    0  9 (36.0%)  3 (42.9%)',
      '    1  8 (32.0%)  2 (28.6%)',
      '    2  8 (32.0%)  2 (28.6%)',
    ]);
    // Named classes do, beside the label.
    const named = formatInspection({ ...report, classNames: ['cat', 'dog', 'T-shirt/top'] });
    expect(named.split('\n').slice(-4)).toEqual([
      'label  class            train       test',
      '    0  cat          9 (36.0%)  3 (42.9%)',
      '    1  dog          8 (32.0%)  2 (28.6%)',
      '    2  T-shirt/top  8 (32.0%)  2 (28.6%)',
    ]);
  });

  it('draws the first images of each class, one row per class, in split order', () => {
    const ds: Dataset = {
      name: 'tiny',
      split: 'test',
      // 5 images of 1×2: labels 1, 0, 1, 1, 0 → class 0: images 1, 4; class 1: images 0, 2 (3 dropped: 2 per row).
      images: Float32Array.of(0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.5, 0.5),
      labels: Uint8Array.of(1, 0, 1, 1, 0),
      count: 5,
      imageShape: [1, 2],
      classNames: ['zero', 'one', 'absent'],
    };
    const png = PNG.sync.read(datasetGridPng(ds, 3, 4));
    const layout = imageGridLayout({
      rows: [
        { label: 'zero', images: [new Float32Array(2), new Float32Array(2)] },
        { label: 'one', images: [new Float32Array(2), new Float32Array(2)] },
      ],
      imageShape: [1, 2],
      scale: 4,
      title: 'tiny (test): first 2 of each class',
    });
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    const grey = (row: number, col: number) => {
      const { x, y } = layout.cellOrigin(row, col);
      return png.data[(y * png.width + x) * 4];
    };
    expect([grey(0, 0), grey(0, 1), grey(1, 0), grey(1, 1)]).toEqual(
      [0.2, 0.5, 0.1, 0.3].map((v) => Math.round(255 * v)),
    );
  });
});

describe('datasets command', () => {
  it('lists the registered plugins, or says there are none', () => {
    expect(listDatasets(new Registry<DatasetPlugin>('dataset'))).toBe('no dataset plugins are registered');
    const lines = listDatasets(registryWithBuiltins()).split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([
      'fashion-mnist',
      'idx',
      'image-folder',
      'mnist',
      'spiked-gaussian',
      'superposition',
      'synthetic',
    ]);
    expect(lines[3]).toMatch(/^mnist\s+MNIST handwritten digits/);
  });

  it('parses --params as a JSON object, naming the option when it is not', () => {
    expect(parseParamsOption('{"dir":"/x"}')).toEqual({ dir: '/x' });
    expect(parseParamsOption(undefined)).toEqual({});
    expect(() => parseParamsOption('{dir:1}')).toThrow(
      /--params must be a JSON object, e\.g\. .*; got \{dir:1\}/,
    );
    expect(() => parseParamsOption('[1]')).toThrow('--params must be a JSON object, got [1]');
  });

  it('writes a PNG grid of the test split', async () => {
    const grid = join(tmp, 'out', 'grid.png');
    const text = await runDatasetsCommand(
      { ...args, name: 'synthetic', params: '{"classes": 4, "testCount": 12}', grid, 'grid-per-class': 2 },
      registryWithBuiltins(),
    );
    expect(text).toMatch(new RegExp(`wrote ${grid} \\(test split\\)$`));
    const png = PNG.sync.read(readFileSync(grid));
    expect(png.width).toBeGreaterThan(2 * 28 * 2);
    expect(png.height).toBeGreaterThan(4 * 28 * 2);
  });

  it('runs through yargs with its options', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((m: string) => printed.push(m));
    try {
      await yargs()
        .command(makeDatasetsCommand(registryWithBuiltins()))
        .strict()
        .fail((msg, err) => {
          throw err ?? new Error(msg);
        })
        .parseAsync([
          'datasets',
          'synthetic',
          '--params',
          '{"trainCount": 30}',
          '--split',
          'train',
          '--limit',
          '20',
          '--cache-dir',
          tmp,
        ]);
    } finally {
      spy.mockRestore();
    }
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/\ntrain: 20 samples/);
    expect(printed[0]).not.toMatch(/\ntest:/);
  });

  it('names an unknown dataset and the nearest registered one', async () => {
    await expect(runDatasetsCommand({ ...args, name: 'mnsit' }, registryWithBuiltins())).rejects.toThrow(
      /unknown dataset 'mnsit'\. Did you mean 'mnist'\? Available: fashion-mnist, idx, image-folder, mnist, spiked-gaussian, superposition, synthetic/,
    );
  });
});
