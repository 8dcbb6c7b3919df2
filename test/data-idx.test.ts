import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  DatasetError,
  encodeIdx,
  IDX_TYPES,
  type IdxArray,
  type IdxType,
  idxByteLength,
  parseIdx,
  readIdxFile,
  readIdxSplit,
} from 'nmfinit';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'nmfinit-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An independent big-endian IDX writer (DataView-free), the oracle for the encoder. */
function referenceIdx(type: IdxType, shape: number[], values: number[]): Uint8Array {
  const codes: Record<IdxType, number> = { ubyte: 8, byte: 9, short: 11, int: 12, float: 13, double: 14 };
  const bytes: number[] = [0, 0, codes[type], shape.length];
  const be = (buf: ArrayBuffer) => [...new Uint8Array(buf)].reverse(); // the test machine is little-endian
  for (const d of shape) bytes.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  for (const v of values) {
    if (type === 'ubyte' || type === 'byte') bytes.push(v & 255);
    else if (type === 'short') bytes.push(...be(Int16Array.of(v).buffer));
    else if (type === 'int') bytes.push(...be(Int32Array.of(v).buffer));
    else if (type === 'float') bytes.push(...be(Float32Array.of(v).buffer));
    else bytes.push(...be(Float64Array.of(v).buffer));
  }
  return Uint8Array.from(bytes);
}

const elementArb: Record<IdxType, fc.Arbitrary<number>> = {
  ubyte: fc.integer({ min: 0, max: 255 }),
  byte: fc.integer({ min: -128, max: 127 }),
  short: fc.integer({ min: -32768, max: 32767 }),
  int: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  float: fc.float({ noNaN: true }),
  double: fc.double({ noNaN: true }),
};

const typedFor: Record<IdxType, (v: number[]) => IdxArray['data']> = {
  ubyte: (v) => Uint8Array.from(v),
  byte: (v) => Int8Array.from(v),
  short: (v) => Int16Array.from(v),
  int: (v) => Int32Array.from(v),
  float: (v) => Float32Array.from(v),
  double: (v) => Float64Array.from(v),
};

/** A random IDX array: type, shape of rank 1..4 with dimensions 0..5, and matching elements. */
const idxArb = fc
  .record({
    type: fc.constantFrom(...IDX_TYPES),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
  })
  .chain(({ type, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(elementArb[type], { minLength: n, maxLength: n })
      .map((values) => ({ type, shape, values }));
  });

describe('IDX encode and parse', () => {
  it('encodes exactly as an independent big-endian writer does, and parses back the same elements', () => {
    fc.assert(
      fc.property(idxArb, ({ type, shape, values }) => {
        const bytes = encodeIdx({ type, shape, data: typedFor[type](values) });
        expect(bytes).toEqual(referenceIdx(type, shape, values));
        expect(bytes.length).toBe(idxByteLength(type, shape));
        const back = parseIdx(bytes);
        expect(back.type).toBe(type);
        expect(back.shape).toEqual(shape);
        expect([...back.data]).toEqual([...typedFor[type](values)]);
      }),
    );
  });

  it('keeps −0, infinities, NaN and subnormals', () => {
    const special = [
      -0,
      0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      1e-40,
      1e-310,
      -3.5,
    ];
    for (const type of ['float', 'double'] as const) {
      const back = parseIdx(encodeIdx({ type, shape: [special.length], data: typedFor[type](special) })).data;
      for (let i = 0; i < special.length; i++) {
        const expected = type === 'float' ? Math.fround(special[i]) : special[i];
        expect(Object.is(back[i], expected), `${type} ${special[i]}`).toBe(true);
      }
    }
  });

  it('parses a hand-written MNIST-style header', () => {
    // 2 images of 2×3, ubyte: magic 0x00000803.
    const bytes = Uint8Array.from([
      0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    const a = parseIdx(bytes, 'hand.idx');
    expect(a).toMatchObject({ type: 'ubyte', shape: [2, 2, 3] });
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('gives an error for every truncation and every extension, never silently wrong data', () => {
    fc.assert(
      fc.property(idxArb, fc.nat(), fc.integer({ min: 1, max: 9 }), ({ type, shape, values }, cut, extra) => {
        const bytes = encodeIdx({ type, shape, data: typedFor[type](values) });
        const length = cut % bytes.length; // 0 .. length − 1
        expect(() => parseIdx(bytes.subarray(0, length), 'cut.idx')).toThrow(DatasetError);
        expect(() => parseIdx(bytes.subarray(0, length), 'cut.idx')).toThrow(
          /cut\.idx: (truncated|bad IDX magic)/,
        );
        const longer = new Uint8Array(bytes.length + extra);
        longer.set(bytes);
        expect(() => parseIdx(longer, 'long.idx')).toThrow(/long\.idx: trailing bytes/);
      }),
    );
  });

  it('rejects a corrupted magic number; any other header corruption errors or still describes the bytes exactly', () => {
    fc.assert(
      fc.property(idxArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ type, shape, values }, at, flip) => {
        const bytes = encodeIdx({ type, shape, data: typedFor[type](values) });
        const headerLength = 4 + 4 * shape.length;
        const pos = at % headerLength;
        const bad = bytes.slice();
        bad[pos] ^= flip;
        let parsed: IdxArray | undefined;
        try {
          parsed = parseIdx(bad, 'bad.idx');
        } catch (e) {
          expect(e).toBeInstanceOf(DatasetError);
          expect((e as Error).message).toMatch(/^bad\.idx: /);
          return;
        }
        // The two leading zero bytes of the magic number are always checked.
        expect(pos).toBeGreaterThanOrEqual(2);
        // Surviving corruptions must still describe the bytes exactly (e.g. ubyte ↔ byte swapped,
        // or two dimensions with the same product): the data size checks out, nothing is invented.
        expect(idxByteLength(parsed.type, parsed.shape)).toBe(bad.length);
        expect(parsed.data.length).toBe(parsed.shape.reduce((a, b) => a * b, 1));
      }),
    );
  });

  it('names the file, what was expected and what was found', () => {
    expect(() => parseIdx(Uint8Array.from([0, 0, 8]), 'f')).toThrow(
      'f: truncated IDX header: expected at least 4 bytes (the magic number), found 3',
    );
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'f')).toThrow(
      /f: bad IDX magic number 0x01000801: expected 0x0000TTRR/,
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 7, 1, 0, 0, 0, 0]), 'f')).toThrow(
      /bad IDX magic number 0x00000701/,
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'f')).toThrow(/rank is 0/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]), 'f')).toThrow(
      'f: truncated IDX data: a ubyte array of shape [3] takes 11 bytes, found 10',
    );
  });

  it('refuses to encode data that does not fit the declared type or shape', () => {
    expect(() => encodeIdx({ type: 'ubyte', shape: [3], data: new Uint8Array(2) })).toThrow(
      /shape \[3\] needs 3 elements, got 2/,
    );
    expect(() => encodeIdx({ type: 'float', shape: [2], data: new Uint8Array(2) })).toThrow(
      /needs a Float32Array, got Uint8Array/,
    );
    expect(() => encodeIdx({ type: 'int', shape: [], data: new Int32Array(1) })).toThrow(
      /rank must be 1..255/,
    );
  });
});

describe('IDX files and splits', () => {
  const images = (n: number, h: number, w: number) =>
    encodeIdx({
      type: 'ubyte',
      shape: [n, h, w],
      data: Uint8Array.from({ length: n * h * w }, (_, i) => i % 256),
    });
  const labels = (values: number[]) =>
    encodeIdx({ type: 'ubyte', shape: [values.length], data: Uint8Array.from(values) });

  function makeDir(name: string, files: Record<string, Uint8Array>): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
    return dir;
  }

  it('reads gzipped files by their content, whatever their name', () => {
    const bytes = images(2, 3, 4);
    const dir = makeDir('gz', { 'a.gz': gzipSync(bytes), plain: bytes });
    expect(readIdxFile(join(dir, 'a.gz'))).toEqual(readIdxFile(join(dir, 'plain')));
    writeFileSync(join(dir, 'broken.gz'), gzipSync(bytes).subarray(0, 20));
    expect(() => readIdxFile(join(dir, 'broken.gz'))).toThrow(/broken\.gz: not a valid gzip file/);
  });

  it('reads a split and checks images against labels', () => {
    const dir = makeDir('split', {
      'train-images-idx3-ubyte.gz': gzipSync(images(3, 2, 2)),
      'train-labels-idx1-ubyte': labels([0, 1, 2]),
      't10k-images-idx3-ubyte': images(2, 2, 2),
      't10k-labels-idx1-ubyte': labels([4]),
    });
    const train = readIdxSplit(dir, 'train');
    expect(train.count).toBe(3);
    expect(train.imageShape).toEqual([2, 2]);
    expect([...train.labels]).toEqual([0, 1, 2]);
    expect([...train.pixels]).toEqual([...Array(12).keys()]);
    expect(() => readIdxSplit(dir, 'test')).toThrow(
      `${join(dir, 't10k-labels-idx1-ubyte')}: expected 2 labels, one per image in ${join(dir, 't10k-images-idx3-ubyte')}, found 1`,
    );
    expect(() => readIdxSplit(dir, 'train', { expectedShape: [28, 28] })).toThrow(
      /train-images-idx3-ubyte\.gz: expected an IDX array of shape \[any, 28, 28\], found \[3, 2, 2\]/,
    );
    expect(() => readIdxSplit(dir, 'train', { expectedCount: 60000 })).toThrow(
      /shape \[60000, any, any\], found \[3, 2, 2\]/,
    );
  });

  it('names the directory and every file name it looked for', () => {
    const missing = join(tmp, 'nope');
    expect(() => readIdxSplit(missing, 'train')).toThrow(`IDX directory not found: ${missing}`);
    const dir = makeDir('labels-only', { 'train-labels-idx1-ubyte': labels([1]) });
    expect(() => readIdxSplit(dir, 'train')).toThrow(
      `no train images file in ${dir}: looked for train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte, train-images.idx3-ubyte.gz`,
    );
  });

  it('rejects label files of the wrong type or rank', () => {
    const dir = makeDir('bad-labels', {
      'train-images-idx3-ubyte': images(2, 1, 1),
      'train-labels-idx1-ubyte': encodeIdx({ type: 'int', shape: [2], data: Int32Array.of(0, 1) }),
    });
    expect(() => readIdxSplit(dir, 'train')).toThrow(
      /train-labels-idx1-ubyte: expected IDX elements of type ubyte, found int/,
    );
  });
});
