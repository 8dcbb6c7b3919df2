import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { DatasetError, loadDataset } from 'nmfinit';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, decodePgm, resizeArea } from '../plugins/datasets/image-decode.ts';
import { imageFolder, listImageFolder, splitImageFolder } from '../plugins/datasets/image-folder.ts';

// Every image here is written by the test itself, in each format, with known grey levels.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-image-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A deterministic h × w byte image, different for each `id`. */
const bytes = (h: number, w: number, id: number) =>
  Uint8Array.from({ length: h * w }, (_, i) => (i * 37 + id * 101 + ((i * id) % 13)) & 255);

function pngBytes(grey: Uint8Array, h: number, w: number, rgb?: (v: number, i: number) => number[]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = rgb ? rgb(grey[i], i) : [grey[i], grey[i], grey[i]];
    png.data.set([r, g, b, 255], 4 * i);
  }
  return PNG.sync.write(png);
}
const pgmP5 = (grey: Uint8Array, h: number, w: number) =>
  Buffer.concat([Buffer.from(`P5\n# written by the test\n${w} ${h}\n255\n`), Buffer.from(grey)]);
const pgmP2 = (values: number[], h: number, w: number, maxval: number) =>
  Buffer.from(`P2\n${w} ${h} # size\n${maxval}\n${values.join(' ')}\n`);

const load = (dir: string, split: 'train' | 'test', extra: object = {}, limit?: number) =>
  loadDataset(imageFolder, { split, limit, params: { dir, ...extra }, cacheDir: root });

describe('image decoding', () => {
  it('reads grey PNG and binary PGM exactly as v / 255', () => {
    const g = bytes(5, 7, 3);
    for (const [file, data] of [
      ['a.png', pngBytes(g, 5, 7)],
      ['a.pgm', pgmP5(g, 5, 7)],
    ] as const) {
      const img = decodeImage(data, file);
      expect([img.height, img.width]).toEqual([5, 7]);
      for (let i = 0; i < g.length; i++) expect(img.pixels[i]).toBeCloseTo(g[i] / 255, 6);
    }
  });

  it('turns colour into BT.601 luma', () => {
    const g = bytes(4, 4, 1);
    const rgb = (v: number, i: number) => [v, (v + 90 * i) & 255, 255 - v];
    const img = decodeImage(pngBytes(g, 4, 4, rgb), 'c.png');
    for (let i = 0; i < 16; i++) {
      const [r, gg, b] = rgb(g[i], i);
      expect(img.pixels[i]).toBeCloseTo((0.299 * r + 0.587 * gg + 0.114 * b) / 255, 6);
    }
  });

  it('reads ASCII and 16-bit PGM with comments, scaled by the maximum grey value', () => {
    const p2 = decodePgm(pgmP2([0, 3, 7, 1000, 500, 250], 2, 3, 1000));
    expect(Array.from(p2.pixels)).toEqual(Array.from(Float32Array.from([0, 0.003, 0.007, 1, 0.5, 0.25])));
    const wide = Buffer.concat([Buffer.from('P5 2 1 65535\n'), Buffer.from([0xff, 0xff, 0x80, 0x00])]);
    const img = decodePgm(wide);
    expect(img.pixels[0]).toBe(1);
    expect(img.pixels[1]).toBeCloseTo(0x8000 / 65535, 6);
  });

  it('decodes JPEG close to the grey levels written (lossy, quality 100)', () => {
    // A smooth gradient: JPEG at quality 100 keeps it within a few grey levels.
    const h = 16;
    const w = 16;
    const raw = new Uint8Array(4 * h * w);
    for (let i = 0; i < h * w; i++) raw.set([8 * (i % w) + 4 * Math.floor(i / w), 0, 0, 255], 4 * i);
    for (let i = 0; i < h * w; i++) raw[4 * i + 1] = raw[4 * i + 2] = raw[4 * i];
    const img = decodeImage(jpeg.encode({ data: raw, width: w, height: h }, 100).data, 'g.jpg');
    for (let i = 0; i < h * w; i++) expect(Math.abs(img.pixels[i] * 255 - raw[4 * i])).toBeLessThan(4);
  });

  it('names the file it cannot decode', () => {
    expect(() => decodeImage(Buffer.from('hello'), '/x/broken.png')).toThrow(
      /\/x\/broken\.png: cannot decode/,
    );
    expect(() => decodeImage(Buffer.from('P5\n3 3\n255\n\x01'), '/x/short.pgm')).toThrow(
      /short\.pgm: cannot decode: PGM: 3×3 needs 9 sample bytes/,
    );
  });
});

describe('area resizing', () => {
  it('gives block means for integer factors (a float64 loop as reference)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (f, oh, ow) => {
          const h = oh * f;
          const w = ow * f;
          const pixels = Float32Array.from(bytes(h, w, f + oh), (v) => v / 255);
          const out = resizeArea({ height: h, width: w, pixels }, oh, ow);
          for (let y = 0; y < oh; y++)
            for (let x = 0; x < ow; x++) {
              let s = 0;
              for (let dy = 0; dy < f; dy++)
                for (let dx = 0; dx < f; dx++) s += pixels[(y * f + dy) * w + x * f + dx];
              expect(out[y * ow + x]).toBeCloseTo(s / (f * f), 5);
            }
        },
      ),
    );
  });

  it('keeps the mean grey level for any sizes, and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (h, w, oh, ow) => {
          const pixels = Float32Array.from(bytes(h, w, h * w), (v) => v / 255);
          const out = resizeArea({ height: h, width: w, pixels }, oh, ow);
          const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
          expect(mean(out)).toBeCloseTo(mean(pixels), 5);
          for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
        },
      ),
    );
  });
});

describe('the image-folder dataset', () => {
  // Two classes in subfolders, every format; images 6 × 4.
  const classes = join(root, 'classes');
  const counts = { alice: 10, bob: 5 };
  const written = new Map<string, Uint8Array>();
  Object.entries(counts).forEach(([name, count], c) => {
    mkdirSync(join(classes, name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const g = bytes(6, 4, 10 * c + i);
      const file = `${name}/img${i}${i % 2 === 0 ? '.png' : '.pgm'}`;
      writeFileSync(join(classes, file), i % 2 === 0 ? pngBytes(g, 6, 4) : pgmP5(g, 6, 4));
      written.set(file, g);
    }
  });
  writeFileSync(join(classes, 'alice', 'notes.txt'), 'not an image: skipped');

  it('labels each image by its class folder and holds out round(fraction · count) of each class', async () => {
    const train = await load(classes, 'train', { testFraction: 0.3 });
    const test = await load(classes, 'test', { testFraction: 0.3 });
    expect(train.classNames).toEqual(['alice', 'bob']);
    expect([train.imageShape, test.imageShape]).toEqual([
      [6, 4],
      [6, 4],
    ]);
    expect(test.count).toBe(Math.round(0.3 * 10) + Math.round(0.3 * 5));
    expect(train.count + test.count).toBe(15);
    const perClass = (labels: Uint8Array) => [0, 1].map((c) => labels.filter((l) => l === c).length);
    expect(perClass(test.labels)).toEqual([3, 2]);
    // Every image is in exactly one split, with its own pixels and its own class's label.
    const { files } = listImageFolder(classes);
    const { train: tf, test: sf } = splitImageFolder(files, 0.3, 0);
    const seen = new Set<string>();
    for (const [ds, list] of [
      [train, tf],
      [test, sf],
    ] as const) {
      list.forEach((f, s) => {
        seen.add(f.relative);
        const g = written.get(f.relative) as Uint8Array;
        expect(ds.labels[s]).toBe(f.relative.startsWith('alice/') ? 0 : 1);
        for (let i = 0; i < g.length; i++) expect(Math.round(ds.images[s * 24 + i] * 255)).toBe(g[i]);
      });
    }
    expect(seen.size).toBe(15);
  });

  it('splits the same way for the same seed, and differently for another', () => {
    const { files } = listImageFolder(classes);
    const ids = (seed: number) => splitImageFolder(files, 0.4, seed).test.map((f) => f.relative);
    expect(ids(7)).toEqual(ids(7));
    expect([1, 2, 3, 4].some((s) => ids(s).join() !== ids(0).join())).toBe(true);
  });

  it('reads a flat folder as one class named after it, and resizes on request', async () => {
    const flat = join(root, 'faces');
    mkdirSync(flat);
    for (let i = 0; i < 4; i++) writeFileSync(join(flat, `f${i}.pgm`), pgmP5(bytes(8, 8, i), 8, 8));
    const ds = await load(flat, 'train', { testFraction: 0, resize: [4, 2] });
    expect(ds.classNames).toEqual(['faces']);
    expect(ds.count).toBe(4);
    expect(ds.imageShape).toEqual([4, 2]);
    await expect(load(flat, 'test', { testFraction: 0 })).rejects.toThrow(/the test split of .* is empty/);
    expect((await load(flat, 'train', { testFraction: 0 }, 2)).count).toBe(2);
  });

  it('names the file whose size differs, the corrupt file, and a bad layout', async () => {
    const mixed = join(root, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a.pgm'), pgmP5(bytes(4, 4, 1), 4, 4));
    writeFileSync(join(mixed, 'b.pgm'), pgmP5(bytes(5, 4, 1), 5, 4));
    await expect(load(mixed, 'train', { testFraction: 0 })).rejects.toThrow(
      /mixed\/[ab]\.pgm is [54]×4 .* give params\.resize/,
    );
    expect((await load(mixed, 'train', { testFraction: 0, resize: [3, 3] })).count).toBe(2);

    writeFileSync(join(mixed, 'c.png'), 'not a png at all');
    await expect(load(mixed, 'train', { testFraction: 0, resize: [3, 3] })).rejects.toThrow(
      /mixed\/c\.png: cannot decode/,
    );

    const both = join(root, 'both');
    mkdirSync(join(both, 'cls'), { recursive: true });
    writeFileSync(join(both, 'loose.png'), pngBytes(bytes(2, 2, 0), 2, 2));
    await expect(load(both, 'train')).rejects.toThrow(/both\/loose\.png lies beside class subfolders/);
    await expect(load(join(root, 'nowhere'), 'train')).rejects.toThrow(DatasetError);
    await expect(load(classes, 'train', { testFraction: 1 })).rejects.toThrow(/testFraction/);
  });
});
