// Decompression bombs (issue 21, item 4): an image's declared size is read from its header (PNG
// IHDR, JPEG SOF, PGM header) before anything is decoded, and a size above the 100-megapixel
// limit, or one that differs from the folder's, is refused at once, naming the file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { loadDataset } from 'nmfinit';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, imageSize } from '../plugins/datasets/image-decode.ts';
import { imageFolder } from '../plugins/datasets/image-folder.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-reliability-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid PNG declaring width × height grey pixels, with a small IDAT (`rows` rows of zeros). */
function pngDeclaring(width: number, height: number, rows = 64): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey, deflate, adaptive filtering, no interlace
  const scanlines = Buffer.alloc(rows * (width + 1)); // filter byte 0 + zero samples per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A real 8 × 8 baseline JPEG whose SOF0 frame header is patched to declare width × height. */
function jpegDeclaring(width: number, height: number): Buffer {
  const data = Buffer.from(jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, 90).data);
  const sof = data.indexOf(Buffer.from([0xff, 0xc0]));
  expect(sof).toBeGreaterThan(0);
  data.writeUInt16BE(height, sof + 5);
  data.writeUInt16BE(width, sof + 7);
  return data;
}

function greyPng(h: number, w: number): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data.fill(200);
  return PNG.sync.write(png);
}

/** Runs `f`, expecting it to throw; returns the message and the milliseconds it took. */
async function timedError(f: () => unknown): Promise<{ message: string; ms: number }> {
  const t0 = performance.now();
  try {
    await f();
  } catch (e) {
    return { message: (e as Error).message, ms: performance.now() - t0 };
  }
  throw new Error('expected an error, got none');
}

describe('decompression bombs are refused from the header', () => {
  it('a small PNG declaring 20000×20000: refused in under a second, naming the file', async () => {
    const bomb = pngDeclaring(20000, 20000);
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => imageSize(bomb, 'bomb.png')).toThrow('PNG header declares 20000×20000 pixels');
    const { message, ms } = await timedError(() => decodeImage(bomb, '/data/bomb.png'));
    expect(message).toContain('/data/bomb.png');
    expect(message).toContain('20000×20000');
    expect(message).toContain('100-megapixel limit');
    expect(ms).toBeLessThan(1000);
  });

  it('a JPEG whose frame header declares 20000×20000: refused in under a second, naming the file', async () => {
    const bomb = jpegDeclaring(20000, 20000);
    expect(() => imageSize(bomb, 'bomb.jpg')).toThrow('JPEG header declares 20000×20000 pixels');
    const { message, ms } = await timedError(() => decodeImage(bomb, '/data/bomb.jpg'));
    expect(message).toContain('/data/bomb.jpg');
    expect(message).toContain('100-megapixel limit');
    expect(ms).toBeLessThan(1000);
  });

  it('a PGM header declaring 20000×20000: refused naming the file', async () => {
    const bomb = Buffer.concat([Buffer.from('P5\n20000 20000\n255\n'), Buffer.alloc(16)]);
    const { message } = await timedError(() => decodeImage(bomb, '/data/bomb.pgm'));
    expect(message).toContain('/data/bomb.pgm');
    expect(message).toContain('100-megapixel limit');
  });

  it('reads the size every format declares, equal to what it decodes to', () => {
    const png = greyPng(5, 7);
    const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(6 * 9 * 4, 50), width: 9, height: 6 }, 90).data);
    const pgm = Buffer.concat([Buffer.from('P5\n# c\n3 2\n255\n'), Buffer.alloc(6, 7)]);
    for (const [bytes, format] of [
      [png, 'PNG'],
      [jpg, 'JPEG'],
      [pgm, 'PGM'],
    ] as const) {
      const size = imageSize(bytes, 'f');
      const img = decodeImage(bytes, 'f');
      expect(size).toEqual({ format, width: img.width, height: img.height });
    }
  });

  it('image-folder: a bomb among ordinary images fails fast naming it; a size mismatch is found from the header', async () => {
    const dir = join(root, 'folder');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.png'), greyPng(8, 8));
    writeFileSync(join(dir, 'b.png'), pngDeclaring(20000, 20000));
    const load = (d: string) =>
      loadDataset(imageFolder, { split: 'train', params: { dir: d, testFraction: 0 }, cacheDir: root });
    const bomb = await timedError(() => load(dir));
    expect(bomb.message).toContain(join(dir, 'b.png'));
    expect(bomb.message).toContain('100-megapixel limit');
    expect(bomb.ms).toBeLessThan(1000);

    // A 16×16 header whose image data is garbage: the mismatch is reported, not a decode error.
    const mismatch = join(root, 'mismatch');
    mkdirSync(mismatch, { recursive: true });
    writeFileSync(join(mismatch, 'a.png'), greyPng(8, 8));
    const broken = pngDeclaring(16, 16, 2);
    broken[broken.indexOf(Buffer.from('IDAT')) + 6] ^= 0xff;
    writeFileSync(join(mismatch, 'b.png'), broken);
    const { message } = await timedError(() => load(mismatch));
    expect(message).toContain(`${join(mismatch, 'b.png')} is 16×16`);
    expect(message).toContain('8×8');
  });
});
