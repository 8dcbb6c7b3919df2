import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFloat32, encodeFloat32, INITIALIZER_COLORS } from 'nmfinit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructionRows } from '../plugins/studies/autoencoder-init/recon-grid.ts';
import { displayNames } from '../plugins/studies/autoencoder-init/spec.ts';
import { loadStudy } from '../src/experiment/study.ts';
import { runTiny, tinyAutoencoderSpec } from './helpers/tiny-studies.ts';

// The autoencoder study's figures: display names and seed counts in titles, reconstruction
// grids with an epoch-0 row per initializer and each row's MSE, a fixed style per initializer.

/** The MSE of reconstructions against originals, in float64, pixel by pixel. */
function mse(originals: Float32Array[], flat: Float32Array): number {
  const d = originals[0].length;
  let s = 0;
  originals.forEach((o, i) => {
    for (let j = 0; j < d; j++) s += (flat[i * d + j] - o[j]) ** 2;
  });
  return s / (originals.length * d);
}

describe('reconstructionRows', () => {
  it('has the originals, then per initializer a row per epoch from 0, each labelled with its own MSE', () => {
    const originals = [Float32Array.from([0, 0.5, 1, 0.25]), Float32Array.from([1, 1, 0, 0])];
    const snap = (epoch: number, shift: number) => ({
      epoch,
      testMse: 0,
      reconstructions: encodeFloat32(Float32Array.from([...originals[0], ...originals[1]], (v) => v + shift)),
    });
    const groups = [
      { label: 'nmf', snapshots: [snap(0, 0.3), snap(5, 0.1)] },
      { label: 'zeros', snapshots: [snap(0, -0.5), snap(5, 0.2)] },
    ];
    const { rows, mse: values } = reconstructionRows(originals, [2, 2], groups, [0, 5]);
    expect(rows.map((r) => r.label)).toEqual([
      'original',
      'nmf, epoch 0: MSE 0.0900',
      'nmf, epoch 5: MSE 0.0100',
      'zeros, epoch 0: MSE 0.250',
      'zeros, epoch 5: MSE 0.0400',
    ]);
    for (const v of values) {
      const s = groups.find((g) => g.label === v.label)!.snapshots.find((x) => x.epoch === v.epoch)!;
      expect(v.mse).toBeCloseTo(mse(originals, decodeFloat32(s.reconstructions)), 7);
    }
  });

  it('marks an epoch without a snapshot instead of drawing something else', () => {
    const originals = [Float32Array.from([0, 1])];
    const { rows } = reconstructionRows(originals, [1, 2], [{ label: 'a', snapshots: [] }], [0]);
    expect(rows[1].label).toBe('a, epoch 0: no snapshot');
    expect(Number.isNaN(rows[1].images[0][0])).toBe(true);
  });
});

describe('displayNames', () => {
  const lookup = (n: string) =>
    ({ mnist: { displayName: 'MNIST digits' }, 'fashion-mnist': { displayName: 'Fashion-MNIST' } })[n];
  it("uses the plugin's display name, else the label; entries that would share one keep their label", () => {
    const names = displayNames(
      [
        { name: 'mnist', label: 'mnist_digit' },
        { name: 'fashion-mnist', label: 'mnist_fashion' },
        { name: 'idx', label: 'kmnist' },
        { name: 'mnist', label: 'mnist_small' },
      ],
      lookup,
    );
    expect(names.get('mnist_fashion')).toBe('Fashion-MNIST');
    expect(names.get('kmnist')).toBe('kmnist');
    expect(names.get('mnist_digit')).toBe('MNIST digits (mnist_digit)');
    expect(names.get('mnist_small')).toBe('MNIST digits (mnist_small)');
    expect(displayNames([{ name: 'mnist', label: 'mnist_digit' }], lookup).get('mnist_digit')).toBe(
      'MNIST digits',
    );
  });
});

describe('the tiny study’s figures', () => {
  const root = mkdtempSync(join(tmpdir(), 'nmfinit-ae-figures-'));
  const dir = join(root, 'study');
  beforeAll(() => runTiny(tinyAutoencoderSpec(dir), root), 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('title the loss plot with the display name and the seed count', () => {
    const svg = readFileSync(join(dir, 'blobs_loss_90_4.svg'), 'utf8');
    expect(svg).toContain('Synthetic images: 90 samples, 4 epochs');
    expect(svg).toContain('mean of 2 seeds; band: lowest to highest seed');
  });

  it('give each initializer its one colour (INITIALIZER_COLORS), the others free colours by their place', () => {
    const svg = readFileSync(join(dir, 'blobs_loss_90_4.svg'), 'utf8');
    const at = (c: string) => svg.indexOf(c);
    // he-normal has its own colour in every figure of every study; glorot-uniform and zeros are not
    // listed and take the first two palette colours no listed initializer of this figure holds.
    expect(INITIALIZER_COLORS['he-normal']).toBe('#CC79A7');
    for (const c of ['#0072B2', '#CC79A7', '#D55E00']) expect(at(c)).toBeGreaterThan(0);
  });

  it('keep the reconstruction grid as SVG and PNG, with epoch 0 rows, the seed, and MSEs of the stored snapshots', () => {
    const svg = readFileSync(join(dir, 'blobs_reconstruction_90_4.svg'), 'utf8');
    expect(readFileSync(join(dir, 'blobs_reconstruction_90_4.png')).readUInt32BE(0)).toBe(0x89504e47);
    expect(svg).toContain('seed 0');
    const { input } = loadStudy([dir]);
    const display = JSON.parse(readFileSync(join(dir, 'display', 'blobs.json'), 'utf8')) as {
      originals: string[];
    };
    const originals = display.originals.map(decodeFloat32);
    for (const label of ['glorot-uniform', 'he-normal', 'zeros']) {
      const run = input.runs.find(
        (r) =>
          (r.config as unknown as { initializerLabel: string }).initializerLabel === label &&
          r.config.seed === 0,
      )!;
      for (const epoch of [0, 4]) {
        const snap = (
          run.result as { snapshots: { epoch: number; reconstructions: string }[] }
        ).snapshots.find((s) => s.epoch === epoch)!;
        const want = mse(originals, decodeFloat32(snap.reconstructions)).toPrecision(3);
        expect(svg).toContain(`${label}, epoch ${epoch}: MSE ${want}`);
      }
    }
  });
});
