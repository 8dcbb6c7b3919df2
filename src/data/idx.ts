// The IDX format (LeCun's MNIST files): a 4-byte magic number 0x00 0x00 <type> <rank>, then `rank`
// big-endian uint32 dimensions, then the elements, row-major and big-endian.
import { DatasetError } from './errors.ts';

export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX array: its element type, its dimensions and its elements in row-major order. */
export interface IdxArray {
  readonly type: IdxType;
  readonly shape: readonly number[];
  readonly data: IdxData;
}

interface TypeInfo {
  readonly code: number;
  readonly bytes: number;
}

const TYPES: Record<IdxType, TypeInfo> = {
  ubyte: { code: 0x08, bytes: 1 },
  byte: { code: 0x09, bytes: 1 },
  short: { code: 0x0b, bytes: 2 },
  int: { code: 0x0c, bytes: 4 },
  float: { code: 0x0d, bytes: 4 },
  double: { code: 0x0e, bytes: 8 },
};

export const IDX_TYPES = Object.keys(TYPES) as IdxType[];

const TYPE_BY_CODE = new Map<number, IdxType>(IDX_TYPES.map((t) => [TYPES[t].code, t]));

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

function describeType(t: IdxType): string {
  return `${t} (${hex(TYPES[t].code, 2)})`;
}

/** The size in bytes of an IDX file with this element type and shape. */
export function idxByteLength(type: IdxType, shape: readonly number[]): number {
  return 4 + 4 * shape.length + elementCount(shape) * TYPES[type].bytes;
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Parses IDX bytes. Unsigned and signed bytes come back as views over `bytes` (no copy); wider
 * types are decoded from big-endian into native typed arrays. Any truncation, trailing byte or
 * malformed header is an error naming `source`.
 */
export function parseIdx(bytes: Uint8Array, source = '<IDX bytes>'): IdxArray {
  const fail = (what: string) => new DatasetError(`${source}: ${what}`);
  if (bytes.length < 4) {
    throw fail(`truncated IDX header: expected at least 4 bytes (the magic number), found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = TYPE_BY_CODE.get(bytes[2]);
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined) {
    throw fail(
      `bad IDX magic number ${hex(magic, 8)}: expected 0x0000TTRR with type TT one of ` +
        `${IDX_TYPES.map(describeType).join(', ')} and rank RR`,
    );
  }
  const rank = bytes[3];
  if (rank === 0)
    throw fail(`bad IDX magic number ${hex(magic, 8)}: rank is 0, expected at least 1 dimension`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw fail(`truncated IDX header: rank ${rank} needs ${headerBytes} header bytes, found ${bytes.length}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i));
  const expected = idxByteLength(type, shape);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated IDX data' : 'trailing bytes after the IDX data';
    throw fail(
      `${what}: a ${type} array of shape [${shape.join(', ')}] takes ${expected} bytes, found ${bytes.length}`,
    );
  }
  return { type, shape, data: decodeElements(type, bytes, headerBytes, elementCount(shape)) };
}

function decodeElements(type: IdxType, bytes: Uint8Array, offset: number, n: number): IdxData {
  const at = bytes.byteOffset + offset;
  switch (type) {
    case 'ubyte':
      return bytes.subarray(offset, offset + n);
    case 'byte':
      return new Int8Array(bytes.buffer, at, n);
  }
  const view = new DataView(bytes.buffer, at, n * TYPES[type].bytes);
  switch (type) {
    case 'short': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i);
      return out;
    }
    case 'int': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i);
      return out;
    }
    case 'float': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i);
      return out;
    }
    case 'double': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i);
      return out;
    }
  }
}

const ARRAY_FOR_TYPE: Record<IdxType, abstract new (...args: never[]) => IdxData> = {
  ubyte: Uint8Array,
  byte: Int8Array,
  short: Int16Array,
  int: Int32Array,
  float: Float32Array,
  double: Float64Array,
};

/** Encodes an array as IDX bytes; the typed array must match the element type and the shape. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { type, shape, data } = array;
  const info = TYPES[type];
  if (info === undefined)
    throw new DatasetError(`encodeIdx: unknown IDX type '${type}', expected one of ${IDX_TYPES.join(', ')}`);
  if (!(data instanceof ARRAY_FOR_TYPE[type])) {
    throw new DatasetError(
      `encodeIdx: a ${type} array needs a ${ARRAY_FOR_TYPE[type].name}, got ${data.constructor.name}`,
    );
  }
  if (shape.length < 1 || shape.length > 255) {
    throw new DatasetError(`encodeIdx: rank must be 1..255, got ${shape.length}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new DatasetError(
        `encodeIdx: dimensions must be integers in 0..2^32−1, got [${shape.join(', ')}]`,
      );
    }
  }
  const n = elementCount(shape);
  if (data.length !== n) {
    throw new DatasetError(`encodeIdx: shape [${shape.join(', ')}] needs ${n} elements, got ${data.length}`);
  }
  const out = new Uint8Array(idxByteLength(type, shape));
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  const offset = 4 + 4 * shape.length;
  switch (type) {
    case 'ubyte':
    case 'byte':
      out.set(new Uint8Array(data.buffer, data.byteOffset, n), offset);
      break;
    case 'short':
      for (let i = 0; i < n; i++) view.setInt16(offset + 2 * i, data[i]);
      break;
    case 'int':
      for (let i = 0; i < n; i++) view.setInt32(offset + 4 * i, data[i]);
      break;
    case 'float':
      for (let i = 0; i < n; i++) view.setFloat32(offset + 4 * i, data[i]);
      break;
    case 'double':
      for (let i = 0; i < n; i++) view.setFloat64(offset + 8 * i, data[i]);
      break;
  }
  return out;
}
