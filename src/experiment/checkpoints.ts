import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '../util/files.ts';
import { decodeFramed, encodeFramed } from '../util/framed-file.ts';

const MAGIC = 'NMFCKPT1';
const headerSchema = z.looseObject({ runId: z.string(), configHash: z.string(), step: z.number().int() });

/** A checkpoint as read back: the step it was taken after, the kind's header and its payload. */
export interface Checkpoint<H> {
  step: number;
  header: H;
  payload: Uint8Array;
  file: string;
}

/**
 * One run's checkpoints: `<dir>/checkpoints/<run id>/step-NNNNNNNN.ckpt`, each a framed file
 * (SHA-256 over header and payload), written atomically. The newest `keep` are kept, so a
 * checkpoint found corrupt on resume falls back to the one before it. A checkpoint of another
 * configuration (its hash differs) is never used.
 */
export class RunCheckpoints {
  readonly dir: string;

  constructor(
    outputDir: string,
    readonly runId: string,
    readonly configHash: string,
    private readonly log: (message: string) => void,
    readonly keep = 2,
  ) {
    this.dir = join(outputDir, 'checkpoints', runId);
  }

  private fileOf(step: number): string {
    return join(this.dir, `step-${String(step).padStart(8, '0')}.ckpt`);
  }

  /** The checkpoint files, newest first. */
  files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => /^step-\d{8}\.ckpt$/.test(f))
      .sort()
      .reverse()
      .map((f) => join(this.dir, f));
  }

  save(step: number, header: Record<string, unknown>, payload: readonly Uint8Array[]): void {
    const full = { ...header, runId: this.runId, configHash: this.configHash, step };
    writeFileAtomicSync(this.fileOf(step), encodeFramed(MAGIC, full, payload));
    for (const old of this.files().slice(this.keep)) rmSync(old, { force: true });
  }

  /**
   * The newest checkpoint that reads back whole and belongs to this configuration, or null.
   * Each one passed over is named with the reason, and so is starting from scratch.
   */
  latest<S extends z.ZodType>(schema: S): Checkpoint<z.output<S>> | null {
    const files = this.files();
    for (const [i, file] of files.entries()) {
      try {
        const { header, payload } = decodeFramed(
          readFileSync(file),
          MAGIC,
          'an nmfinit checkpoint',
          headerSchema,
          (reason) => new Error(reason),
        );
        if (header.runId !== this.runId || header.configHash !== this.configHash)
          throw new Error('made with another configuration');
        const parsed = schema.safeParse(header);
        if (!parsed.success) throw new Error(`unexpected header: ${parsed.error.message}`);
        if (i > 0) this.log(`resuming from the older checkpoint ${file}`);
        return { step: header.step, header: parsed.data, payload, file };
      } catch (e) {
        this.log(
          `checkpoint ${file} is unusable (${(e as Error).message}); ${i + 1 < files.length ? 'trying the one before' : 'starting from scratch'}`,
        );
      }
    }
    return null;
  }

  /** Removes every checkpoint of the run (it has finished and is stored, or is redone with --force). */
  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Typed arrays a checkpoint's payload holds, in order; their layout goes in the header. */
export type PackedArray = Float32Array | Float64Array | Uint32Array;
export type PackedLayout = { type: 'f32' | 'f64' | 'u32'; length: number }[];

const TYPES = { f32: Float32Array, f64: Float64Array, u32: Uint32Array } as const;
const typeOf = (a: PackedArray) =>
  a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : ('u32' as const);

/** Lays typed arrays end to end (little-endian, as the platform is), with their layout. */
export function packArrays(arrays: readonly PackedArray[]): { layout: PackedLayout; bytes: Uint8Array[] } {
  return {
    layout: arrays.map((a) => ({ type: typeOf(a), length: a.length })),
    bytes: arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)),
  };
}

/** The arrays `packArrays` laid out, copied into aligned memory; throws if the payload does not fit. */
export function unpackArrays(layout: PackedLayout, payload: Uint8Array): PackedArray[] {
  let offset = 0;
  const out = layout.map(({ type, length }) => {
    const T = TYPES[type];
    const bytes = length * T.BYTES_PER_ELEMENT;
    if (offset + bytes > payload.length)
      throw new RangeError('checkpoint payload is shorter than its layout');
    // A copy, aligned (a Buffer's slice would be a view into a shared pool).
    const a = new T(Uint8Array.prototype.slice.call(payload, offset, offset + bytes).buffer);
    offset += bytes;
    return a;
  });
  if (offset !== payload.length) throw new RangeError('checkpoint payload is longer than its layout');
  return out;
}
