import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import { sha256Hex, writeFileAtomicSync } from '../util/files.ts';
import { readJsonAs, readJsonFile } from './artifacts.ts';
import { STORED_RUN_SCHEMA, type StoredRun, type StudyRun } from './study-kind.ts';

const storedRunSchema = z.object({
  schema: z.literal(STORED_RUN_SCHEMA),
  kind: z.string(),
  id: z.string(),
  configHash: z.string(),
  config: z.looseObject({ id: z.string(), seed: z.number(), backend: z.string() }),
  result: z.unknown(),
  timing: z.object({ seconds: z.number(), startedAt: z.string(), finishedAt: z.string() }),
  sha256: z.string().optional(),
});

/**
 * A stored run's checksum: SHA-256 of its JSON without the `sha256` field, as written. JSON
 * numbers read back to the same doubles, so the text re-serialized on reading is the text hashed.
 */
function runChecksum(record: Record<string, unknown>): string {
  const { sha256: _, ...rest } = record;
  return sha256Hex(JSON.stringify(rest));
}

const failureSchema = z.object({
  id: z.string(),
  configHash: z.string(),
  /** The run as the kind expanded it: a StudyRun and the kind's own fields. */
  config: z.looseObject({ id: z.string(), seed: z.number(), backend: z.string() }),
  error: z.string(),
  at: z.string(),
});

/** A file under runs/ that could not be read back, and why. */
export interface UnreadableRun {
  file: string;
  reason: string;
}

/**
 * Finished runs on disk: one JSON file per run under <dir>/runs, written atomically with a
 * SHA-256 of its content, and one per failed run under <dir>/failed (removed when the run later
 * succeeds). A run whose content does not match its checksum (edited, or corrupted on disk) does
 * not read: `report` names it and counts it missing, a study redoes it. Runs stored before the
 * checksum (no `sha256` field) are read unchecked.
 */
export class RunStore {
  readonly runsDir: string;
  readonly failedDir: string;

  constructor(readonly dir: string) {
    this.runsDir = join(dir, 'runs');
    this.failedDir = join(dir, 'failed');
  }

  pathOf(id: string): string {
    return join(this.runsDir, `${id}.json`);
  }

  /** Creates the output directory and proves it writable, so a bad --out fails before any work. */
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

  write(run: StoredRun): void {
    // JSON keeps NaN/Inf as null; a kind's result schema reads them back. The checksum is taken
    // over the JSON form, the one read back.
    const record = JSON.parse(JSON.stringify(run)) as Record<string, unknown>;
    delete record.sha256;
    writeFileAtomicSync(
      this.pathOf(run.id),
      `${JSON.stringify({ ...record, sha256: runChecksum(record) })}\n`,
    );
    rmSync(join(this.failedDir, `${run.id}.json`), { force: true });
  }

  writeFailure(config: StudyRun, configHash: string, error: string): void {
    const record = { id: config.id, configHash, config, error, at: new Date().toISOString() };
    writeFileAtomicSync(join(this.failedDir, `${config.id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** The stored run with this id, or null when there is none; throws (naming the file) when unreadable. */
  read(id: string): StoredRun | null {
    const path = this.pathOf(id);
    if (!existsSync(path)) return null;
    const raw = readJsonFile(path);
    const run = parseOrThrow(storedRunSchema, raw, path);
    if (run.sha256 !== undefined && runChecksum(raw as Record<string, unknown>) !== run.sha256)
      throw new Error(`${path}: checksum mismatch: its content was changed after it was stored`);
    const { sha256: _, ...stored } = run;
    return stored as StoredRun;
  }

  /** Like `read`, but an unreadable file counts as absent (it is redone and replaced). */
  tryRead(id: string): StoredRun | null {
    try {
      return this.read(id);
    } catch {
      return null;
    }
  }

  /** Every stored run, and the files that could not be read. */
  all(): { runs: StoredRun[]; unreadable: UnreadableRun[] } {
    const runs: StoredRun[] = [];
    const unreadable: UnreadableRun[] = [];
    for (const f of listJson(this.runsDir)) {
      try {
        const run = this.read(f.slice(0, -5));
        if (run) runs.push(run);
      } catch (e) {
        unreadable.push({ file: join(this.runsDir, f), reason: (e as Error).message });
      }
    }
    return { runs, unreadable };
  }

  /** The failure records (the latest error of each run that failed and has not succeeded since). */
  failures(): { id: string; configHash: string; config: StudyRun; error: string }[] {
    return listJson(this.failedDir).flatMap((f) => {
      try {
        return [readJsonAs(join(this.failedDir, f), failureSchema)];
      } catch {
        return [];
      }
    });
  }
}

function listJson(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
}
