import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '../util/files.ts';
import { type RunConfig, runConfigHash } from './grid.ts';

/** What a finished run stores: its full config, its history and its snapshots. */
export interface RunResult {
  schema: typeof RUN_SCHEMA;
  id: string;
  configHash: string;
  config: RunConfig;
  trainSamples: number;
  valSamples: number;
  history: { loss: number[]; valLoss: number[]; initialLoss: number; initialValLoss: number };
  /** Where the loss became NaN/Inf; the history ends before it. */
  diverged: { epoch: number; batch: number | null; loss: number } | null;
  /** Indices (in the test split) of the images whose reconstructions are kept. */
  displayIndices: number[];
  snapshots: RunSnapshot[];
  timing: { initializerSeconds: number; trainingSeconds: number; startedAt: string; finishedAt: string };
}

export interface RunSnapshot {
  epoch: number;
  testMse: number;
  /** Reconstructions of the display images, displayIndices.length × d float32, base64. */
  reconstructions: string;
}

export const RUN_SCHEMA = 'nmfinit.run/1' as const;

const lossValue = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

const runResultSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  id: z.string(),
  configHash: z.string(),
  config: z.looseObject({ id: z.string() }),
  trainSamples: z.number().int(),
  valSamples: z.number().int(),
  // JSON writes NaN and ±Infinity as null; they are read back as NaN.
  history: z.object({
    loss: z.array(lossValue),
    valLoss: z.array(lossValue),
    initialLoss: lossValue,
    initialValLoss: lossValue,
  }),
  diverged: z
    .object({ epoch: z.number(), batch: z.number().nullable(), loss: z.number().nullable() })
    .nullable(),
  displayIndices: z.array(z.number().int()),
  snapshots: z.array(
    z.object({ epoch: z.number().int(), testMse: z.number().nullable(), reconstructions: z.string() }),
  ),
  timing: z.object({
    initializerSeconds: z.number(),
    trainingSeconds: z.number(),
    startedAt: z.string(),
    finishedAt: z.string(),
  }),
});

export function encodeFloat32(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Finished runs on disk: one JSON file per run under <dir>/runs, written atomically. */
export class RunStore {
  readonly runsDir: string;

  constructor(readonly dir: string) {
    this.runsDir = join(dir, 'runs');
  }

  pathOf(id: string): string {
    return join(this.runsDir, `${id}.json`);
  }

  /** Creates the output directory and proves it writable, so a bad --out fails before any training. */
  ensureWritable(): void {
    const probe = join(this.dir, `.write-test-${process.pid}`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(probe, 'ok');
      rmSync(probe);
    } catch (e) {
      throw new Error(`outputs.dir: cannot write to '${this.dir}': ${(e as Error).message}`);
    }
  }

  write(result: RunResult): void {
    // JSON keeps NaN/Inf as null; the divergence record says where the run stopped.
    writeFileAtomicSync(this.pathOf(result.id), `${JSON.stringify(result)}\n`);
  }

  /** The stored result of this config, if there is one with the same config hash; otherwise null. */
  find(config: RunConfig): RunResult | null {
    const stored = this.read(config.id);
    return stored && stored.configHash === runConfigHash(config) ? stored : null;
  }

  read(id: string): RunResult | null {
    const path = this.pathOf(id);
    if (!existsSync(path)) return null;
    try {
      return parseRunResult(readFileSync(path, 'utf8'), path);
    } catch {
      // An unreadable result is treated as missing: the run is redone and the file replaced.
      return null;
    }
  }

  /** Every readable run under this directory. */
  all(): RunResult[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => this.read(f.slice(0, -5)))
      .filter((r): r is RunResult => r !== null);
  }
}

export function parseRunResult(text: string, source: string): RunResult {
  const parsed = runResultSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${source}: not a run result: ${parsed.error.issues[0]?.message}`);
  return parsed.data as unknown as RunResult;
}
