// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of a
// JSON header { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string:
// string } }, then the tensors' bytes, little-endian, C order; offsets count from the byte after
// the header. The header is padded with spaces to a multiple of 8 bytes, so every tensor starts
// 8-byte aligned. Python reads it with `safetensors.numpy.load_file` or plain numpy (README).
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './files.ts';

/** The element types read here; nmfinit writes F32 (and F64 when given Float64Arrays). */
const DTYPES = {
  F32: { bytes: 4, make: (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n) },
  F64: { bytes: 8, make: (b: ArrayBuffer, o: number, n: number) => new Float64Array(b, o, n) },
  I32: { bytes: 4, make: (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n) },
  U8: { bytes: 1, make: (b: ArrayBuffer, o: number, n: number) => new Uint8Array(b, o, n) },
} as const;
export type SafetensorsDtype = keyof typeof DTYPES;

export interface SafeTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

export interface Safetensors {
  /** Tensors by name, in the order of their bytes in the file. */
  readonly tensors: Map<string, SafeTensor>;
  readonly metadata: Record<string, string>;
}

/** A file that is not valid safetensors; the message names the file and the defect. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

function dtypeOf(data: SafeTensor['data']): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

/**
 * Encodes tensors (name → shape and values, C order) and string metadata as safetensors bytes.
 * Tensors are laid out in the order given; each value count must match its shape.
 */
export function encodeSafetensors(
  tensors: readonly { name: string; shape: readonly number[]; data: SafeTensor['data'] }[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name))
      throw new SafetensorsError(`encodeSafetensors: tensor name '${t.name}' is reserved or given twice`);
    seen.add(t.name);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((s) => Number.isInteger(s) && s >= 0) || count !== t.data.length)
      throw new SafetensorsError(
        `encodeSafetensors: '${t.name}' has ${t.data.length} values, its shape [${t.shape.join(', ')}] holds ${count}`,
      );
    const dtype = dtypeOf(t.data);
    const end = offset + count * DTYPES[dtype].bytes;
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of tensors) {
    const size = DTYPES[dtypeOf(t.data)].bytes;
    for (let i = 0; i < t.data.length; i++, at += size) {
      const v = t.data[i];
      if (size === 8) view.setFloat64(at, v, true);
      else if (t.data instanceof Float32Array) view.setFloat32(at, v, true);
      else if (t.data instanceof Int32Array) view.setInt32(at, v, true);
      else view.setUint8(at, v);
    }
  }
  return out;
}

/** Decodes and checks safetensors bytes; every defect is an error naming `source`. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): Safetensors {
  const fail = (why: string) => new SafetensorsError(`${source}: ${why}`);
  if (bytes.length < 8) throw fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    throw fail(`header length ${n} exceeds the file (${bytes.length} bytes) or ${MAX_HEADER} bytes`);
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, headerEnd)).toString('utf8'));
  } catch (e) {
    throw fail(`header is not JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw fail('header is not a JSON object');
  const dataLength = bytes.length - headerEnd;
  // One aligned copy of the data: a typed array view needs its element alignment.
  const buffer = new ArrayBuffer(dataLength);
  new Uint8Array(buffer).set(bytes.subarray(headerEnd));
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        value === null ||
        typeof value !== 'object' ||
        Object.values(value as object).some((v) => typeof v !== 'string')
      )
        throw fail('__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPES))
      throw fail(
        `'${name}': dtype ${JSON.stringify(e?.dtype)}, expected one of ${Object.keys(DTYPES).join(', ')}`,
      );
    const dtype = e.dtype as SafetensorsDtype;
    const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount))
      throw fail(`'${name}': shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
      throw fail(`'${name}': data_offsets ${JSON.stringify(offsets)} is not [begin, end] with begin ≤ end`);
    const [begin, end] = offsets as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * DTYPES[dtype].bytes)
      throw fail(
        `'${name}': data_offsets span ${end - begin} bytes, shape [${e.shape.join(', ')}] of ${dtype} needs ${count * DTYPES[dtype].bytes}`,
      );
    entries.push({ name, dtype, shape: e.shape as number[], begin, end });
  }
  // As the reference implementation: the byte ranges tile the data exactly, no gaps or overlaps.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected)
      throw fail(
        `'${e.name}' starts at byte ${e.begin} of the data, expected ${expected} (a gap or an overlap)`,
      );
    expected = e.end;
  }
  if (expected !== dataLength)
    throw fail(`the tensors cover ${expected} bytes of data, the file has ${dataLength} after the header`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const { bytes: size, make } = DTYPES[e.dtype];
    const count = (e.end - e.begin) / size;
    // Little-endian on disk: read through DataView on a big-endian host, view directly otherwise.
    let data: SafeTensor['data'];
    if (e.begin % size === 0 && LITTLE_ENDIAN) data = make(buffer, e.begin, count);
    else {
      data = make(new ArrayBuffer(count * size), 0, count);
      const dv = new DataView(buffer, e.begin, e.end - e.begin);
      for (let i = 0; i < count; i++)
        data[i] =
          e.dtype === 'F32'
            ? dv.getFloat32(i * 4, true)
            : e.dtype === 'F64'
              ? dv.getFloat64(i * 8, true)
              : e.dtype === 'I32'
                ? dv.getInt32(i * 4, true)
                : dv.getUint8(i);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes tensors as a safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: readonly { name: string; shape: readonly number[]; data: SafeTensor['data'] }[],
  metadata: Record<string, string> = {},
): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata));
}

/** Reads a safetensors file (e.g. `<out>/weights/<run id>.safetensors`); errors name the file. */
export function loadSafetensors(path: string): Safetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}
