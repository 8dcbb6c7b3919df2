// A small self-checking binary container, shared by the dataset cache and the NMF factor cache:
//
//   8 magic bytes | uint32 LE header length | JSON header | payload | SHA-256 of all that (32 bytes)
//
// The digest covers the header too, so a change to any byte is caught; the header is validated
// against the caller's zod schema. Any defect is reported with the file and the reason.
import type { z } from 'zod';
import { formatZodIssues } from '../registry/zod-errors.ts';
import { sha256Hex } from './files.ts';

const DIGEST_BYTES = 32;

/** Encodes a header and payload parts behind `magic` (8 ASCII bytes), with a trailing digest. */
export function encodeFramed(magic: string, header: unknown, payload: readonly Uint8Array[]): Uint8Array {
  const magicBytes = magicOf(magic);
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payloadLength = payload.reduce((s, p) => s + p.length, 0);
  const prefix = magicBytes.length + 4;
  const digestStart = prefix + headerBytes.length + payloadLength;
  const out = new Uint8Array(digestStart + DIGEST_BYTES);
  out.set(magicBytes, 0);
  new DataView(out.buffer).setUint32(magicBytes.length, headerBytes.length, true);
  out.set(headerBytes, prefix);
  let offset = prefix + headerBytes.length;
  for (const p of payload) {
    out.set(p, offset);
    offset += p.length;
  }
  out.set(Buffer.from(sha256Hex(out.subarray(0, digestStart)), 'hex'), digestStart);
  return out;
}

/**
 * Verifies and splits a framed file: checks length, digest, magic and header schema, in that
 * order. Throws `fail(reason)` (the caller's error type, naming the file) on any defect.
 */
export function decodeFramed<S extends z.ZodType>(
  bytes: Uint8Array,
  magic: string,
  what: string,
  headerSchema: S,
  fail: (reason: string) => Error,
): { header: z.output<S>; payload: Uint8Array } {
  const magicBytes = magicOf(magic);
  const prefix = magicBytes.length + 4;
  if (bytes.length < prefix + DIGEST_BYTES) {
    throw fail(`truncated: expected at least ${prefix + DIGEST_BYTES} bytes, found ${bytes.length}`);
  }
  const digestStart = bytes.length - DIGEST_BYTES;
  const stored = Buffer.from(bytes.subarray(digestStart)).toString('hex');
  if (sha256Hex(bytes.subarray(0, digestStart)) !== stored) {
    throw fail('checksum mismatch: the file is truncated or corrupt');
  }
  if (!magicBytes.every((b, i) => bytes[i] === b)) throw fail(`bad magic: not ${what} (expected "${magic}")`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(magicBytes.length, true);
  const payloadStart = prefix + headerLength;
  if (digestStart < payloadStart) {
    throw fail(`truncated header: expected ${headerLength} header bytes, found ${digestStart - prefix}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(prefix, payloadStart)));
  } catch (e) {
    throw fail(`corrupt header: ${(e as Error).message}`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) throw fail(`corrupt header: ${formatZodIssues(parsed.error.issues, 'header')}`);
  return { header: parsed.data, payload: bytes.subarray(payloadStart, digestStart) };
}

function magicOf(magic: string): Uint8Array {
  const bytes = new TextEncoder().encode(magic);
  if (bytes.length !== 8) throw new Error(`framed-file magic must be 8 ASCII bytes, got '${magic}'`);
  return bytes;
}
