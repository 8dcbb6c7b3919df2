// Decoding one image file to grey levels in [0, 1]: PNG (pngjs), JPEG (jpeg-js), PGM (P2/P5,
// parsed here: the format is a text header and raw samples). Colour becomes luma with the
// ITU-R BT.601 weights (as PIL's convert('L')); alpha is ignored, as PIL's convert('L') does.
// The declared size is read from the header (PNG IHDR, JPEG SOF, PGM header) before anything is
// decoded, so a small file declaring a huge image (a decompression bomb) is refused at once.
import jpeg from 'jpeg-js';
import { DatasetError } from 'nmfinit';
import { PNG } from 'pngjs';

/** A decoded image: height × width grey levels, row-major, 0 = black, 1 = white. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Float32Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.pgm', '.jpg', '.jpeg'] as const;

/** Decoding refuses images above this many pixels (jpeg-js's own guard, applied to every format). */
export const MAX_MEGAPIXELS = 100;

/** An image's size as its header declares it, read without decoding. */
export interface ImageSize {
  readonly format: 'PNG' | 'JPEG' | 'PGM';
  readonly width: number;
  readonly height: number;
}

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;
const isPgm = (b: Uint8Array) => b[0] === 0x50 && (b[1] === 0x35 || b[1] === 0x32);

/** PNG: the IHDR chunk, which the format requires first: width and height, 4 bytes big-endian each. */
function pngSize(b: Uint8Array): ImageSize {
  const type = String.fromCharCode(...b.subarray(12, 16));
  if (b.length < 24 || type !== 'IHDR') throw new Error('PNG header: no IHDR chunk at byte 8');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { format: 'PNG', width: view.getUint32(16), height: view.getUint32(20) };
}

/** JPEG: walks the marker segments up to the first frame header (SOF0..SOF15 but DHT, JPG, DAC). */
function jpegSize(b: Uint8Array): ImageSize {
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) throw new Error(`JPEG header: expected a marker at byte ${pos}`);
    const marker = b[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    pos += 2;
    // Markers without a segment: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or scan data before any frame
    const length = (b[pos] << 8) | b[pos + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (pos + 7 > b.length) break;
      const height = (b[pos + 3] << 8) | b[pos + 4];
      const width = (b[pos + 5] << 8) | b[pos + 6];
      if (height === 0) throw new Error('JPEG header: height 0 (set later by a DNL marker) is not supported');
      return { format: 'JPEG', width, height };
    }
    if (length < 2) throw new Error(`JPEG header: segment length ${length} at byte ${pos}`);
    pos += length;
  }
  throw new Error('JPEG header: no frame header (SOF) before the image data');
}

/**
 * The size an image file declares, read from its header only, and refused when above
 * MAX_MEGAPIXELS or empty. Every format goes through here before it is decoded.
 */
export function imageSize(bytes: Uint8Array, file: string): ImageSize {
  let size: ImageSize;
  try {
    if (isPng(bytes)) size = pngSize(bytes);
    else if (isJpeg(bytes)) size = jpegSize(bytes);
    else if (isPgm(bytes)) {
      const { width, height } = pgmHeader(bytes);
      size = { format: 'PGM', width, height };
    } else throw new Error('not a PNG, JPEG or PGM file (unrecognised signature)');
  } catch (e) {
    throw new DatasetError(`${file}: cannot decode: ${(e as Error).message}`);
  }
  const { format, width, height } = size;
  if (width < 1 || height < 1)
    throw new DatasetError(`${file}: cannot decode: ${format} size ${width}×${height} is empty`);
  if (width * height > MAX_MEGAPIXELS * 1e6) {
    throw new DatasetError(
      `${file}: ${format} header declares ${width}×${height} pixels (${((width * height) / 1e6).toFixed(0)} megapixels), above the ${MAX_MEGAPIXELS}-megapixel limit; refused before decoding`,
    );
  }
  return size;
}

function rgbaToGrey(data: Uint8Array, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2]) / 255;
  }
  return out;
}

function decodePng(bytes: Uint8Array): GreyImage {
  // pngjs reduces every bit depth and colour type to 8-bit RGBA.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, pixels: rgbaToGrey(png.data, png.width, png.height) };
}

function decodeJpeg(bytes: Uint8Array): GreyImage {
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_MEGAPIXELS,
    maxMemoryUsageInMB: 1024,
  });
  return { width: img.width, height: img.height, pixels: rgbaToGrey(img.data, img.width, img.height) };
}

/** A PGM header: magic, size and maximum grey value, and where the samples start. */
function pgmHeader(bytes: Uint8Array) {
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  if (magic !== 'P5' && magic !== 'P2') {
    throw new Error(`not a PGM greymap: starts with ${JSON.stringify(magic)}, expected "P5" or "P2"`);
  }
  let pos = 2;
  const isSpace = (c: number) =>
    c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
  /** The next whitespace-separated decimal token, skipping '#' comments to the end of the line. */
  const token = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos])) pos++;
      if (bytes[pos] !== 0x23) break;
      while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) pos++;
    if (pos === start)
      throw new Error(`PGM header: expected the ${what} (a decimal number) at byte ${start}`);
    return Number(String.fromCharCode(...bytes.subarray(start, pos)));
  };
  const width = token('width');
  const height = token('height');
  const maxval = token('maximum grey value');
  return { magic, width, height, maxval, token, end: () => pos };
}

/** Netpbm greymaps: P5 (binary, 8- or 16-bit big-endian samples) and P2 (ASCII). */
export function decodePgm(bytes: Uint8Array): GreyImage {
  const { magic, width, height, maxval, token, end } = pgmHeader(bytes);
  let pos = end();
  if (width < 1 || height < 1) throw new Error(`PGM header: size ${width}×${height} is empty`);
  if (maxval < 1 || maxval > 65535)
    throw new Error(`PGM header: maximum grey value ${maxval} is not in 1..65535`);
  if (width * height > MAX_MEGAPIXELS * 1e6) throw new Error(`PGM: ${width}×${height} is too large`);
  const n = width * height;
  const pixels = new Float32Array(n);
  if (magic === 'P5') {
    pos++; // exactly one whitespace byte separates the header from the samples
    const wide = maxval > 255;
    const need = n * (wide ? 2 : 1);
    if (bytes.length - pos < need) {
      throw new Error(
        `PGM: ${width}×${height} needs ${need} sample bytes, the file has ${bytes.length - pos}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const v = wide ? (bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1] : bytes[pos + i];
      pixels[i] = Math.min(v, maxval) / maxval;
    }
  } else {
    for (let i = 0; i < n; i++) pixels[i] = Math.min(token(`sample ${i}`), maxval) / maxval;
  }
  return { width, height, pixels };
}

/**
 * Decodes by content (PNG and JPEG signatures, PGM magic), so a misnamed file still decodes. The
 * header's size is checked first (imageSize): a huge declared image is refused without decoding.
 */
export function decodeImage(bytes: Uint8Array, file: string): GreyImage {
  const { format } = imageSize(bytes, file);
  try {
    if (format === 'PNG') return decodePng(bytes);
    if (format === 'JPEG') return decodeJpeg(bytes);
    return decodePgm(bytes);
  } catch (e) {
    throw new DatasetError(`${file}: cannot decode: ${(e as Error).message}`);
  }
}

/**
 * Resamples to height × width by area averaging: each output pixel is the mean of the input over
 * its footprint, pixels cut by the footprint's edge counted by the fraction covered. Exact block
 * means for integer factors; piecewise constant when enlarging.
 */
export function resizeArea(img: GreyImage, height: number, width: number): Float32Array {
  if (img.height === height && img.width === width) return img.pixels;
  const weights = (from: number, to: number) => {
    // For each output index: the input indices it covers and their weights (summing to 1).
    const scale = from / to;
    return Array.from({ length: to }, (_, o) => {
      const lo = o * scale;
      const hi = (o + 1) * scale;
      const taps: [number, number][] = [];
      for (let i = Math.floor(lo); i < Math.min(from, Math.ceil(hi)); i++) {
        const cover = Math.min(hi, i + 1) - Math.max(lo, i);
        if (cover > 1e-12) taps.push([i, cover / scale]);
      }
      return taps;
    });
  };
  const wx = weights(img.width, width);
  const wy = weights(img.height, height);
  const rows = new Float64Array(img.height * width); // horizontal pass
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (const [i, w] of wx[x]) s += w * img.pixels[y * img.width + i];
      rows[y * width + x] = s;
    }
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (const [i, w] of wy[y]) s += w * rows[i * width + x];
      out[y * width + x] = Math.min(1, Math.max(0, s));
    }
  return out;
}
