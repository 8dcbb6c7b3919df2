// Reading images stored as JSON arrays of integers, validating every sample: the malformed ones
// are reported (by index, with the reason) and left out, never passed on.
import { readFileSync } from 'node:fs';
import { DatasetError } from './errors.ts';

/** A sample that was left out, and why. */
export interface MalformedSample {
  /** Where it was: e.g. "class 0 index 1000". */
  readonly where: string;
  readonly reason: string;
}

/** Why `entry` is not `d` integers in 0..255, or null when it is. */
export function pixelRowProblem(entry: unknown, d: number): string | null {
  if (!Array.isArray(entry)) return `expected an array of ${d} integers in 0..255, found ${typeof entry}`;
  if (entry.length !== d) return `expected ${d} integers in 0..255, found ${entry.length} values`;
  for (let i = 0; i < d; i++) {
    const v = entry[i];
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      return `value ${JSON.stringify(v)} at position ${i} is not an integer in 0..255`;
    }
  }
  return null;
}

export interface JsonPixelRows {
  /** The valid rows, in file order, `count × d` bytes. */
  readonly pixels: Uint8Array;
  readonly count: number;
  /** The index in the file of each valid row. */
  readonly fileIndex: Uint32Array;
  /** Indices in the file and reasons of the rows left out. */
  readonly malformed: { index: number; reason: string }[];
}

/**
 * Reads `{"<field>": [[d ints], …]}` from `path` and keeps the valid rows. Only this one file's
 * JSON is alive at a time, which bounds memory when a dataset comes as several such files.
 */
export function readJsonPixelRows(path: string, d: number, field = 'data'): JsonPixelRows {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${path}: cannot read JSON: ${(e as Error).message}`);
  }
  const entries = (doc as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(entries)) {
    throw new DatasetError(
      `${path}: expected an object with an array "${field}" of images, found ${JSON.stringify(doc)?.slice(0, 60)}`,
    );
  }
  const pixels = new Uint8Array(entries.length * d);
  const fileIndex = new Uint32Array(entries.length);
  const malformed: { index: number; reason: string }[] = [];
  let count = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const problem = pixelRowProblem(entry, d);
    if (problem !== null) {
      malformed.push({ index: i, reason: problem });
      continue;
    }
    pixels.set(entry as number[], count * d);
    fileIndex[count++] = i;
  }
  return { pixels: pixels.subarray(0, count * d), count, fileIndex: fileIndex.subarray(0, count), malformed };
}

/** One line for the log: how many samples were left out, the first few with their reasons. */
export function summarizeMalformed(
  dataset: string,
  malformed: readonly MalformedSample[],
  shown = 5,
): string {
  const listed = malformed.slice(0, shown).map((m) => `${m.where} (${m.reason})`);
  const more = malformed.length > shown ? `; and ${malformed.length - shown} more` : '';
  const noun = malformed.length === 1 ? 'sample' : 'samples';
  return `${dataset}: left out ${malformed.length} malformed ${noun}: ${listed.join('; ')}${more}`;
}
