import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../plugins/index.ts';
import { z } from 'zod';
import { type AutoencoderRun, expandRuns } from '../plugins/studies/autoencoder-init/grid.ts';
import type { AutoencoderResult } from '../plugins/studies/autoencoder-init/result.ts';
import { executeRun, type RunData } from '../plugins/studies/autoencoder-init/run.ts';
import {
  type AutoencoderSpecInput,
  autoencoderSpecSchema,
} from '../plugins/studies/autoencoder-init/spec.ts';
import { getBackend } from '../src/backend/index.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { RunCheckpoints } from '../src/experiment/checkpoints.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { RunStore } from '../src/experiment/store.ts';
import type { StudyRunEvent } from '../src/experiment/study-kind.ts';
import { Rng } from '../src/tensor/rng.ts';
import { decodeFramed } from '../src/util/framed-file.ts';

// Issue 16: a run interrupted mid-way resumes from its last checkpoint and ends bit-identical
// to an uninterrupted run; a corrupt checkpoint is detected, and the run falls back to the one
// before it or to scratch, saying so.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const EPOCHS = 8;
function config(callbacks: NonNullable<AutoencoderSpecInput['training']>['callbacks']): AutoencoderRun {
  const spec = autoencoderSpecSchema.parse({
    name: 'ckpt',
    datasets: [{ name: 'synthetic' }],
    model: { sizes: [16, 6, 16] },
    initializers: [{ name: 'glorot-uniform' }],
    training: { batchSize: 8, callbacks, optimizer: { name: 'adam', learningRate: 0.01 } },
    grid: { samples: [{ count: 60 }], epochs: [1, EPOCHS] },
    outputs: { dir: root },
  });
  return expandRuns(spec, 'reference')[0];
}

// Random images in [0, 1): a smooth loss curve that early stopping can read.
const data: RunData = (() => {
  const r = Rng.seeded(7);
  return {
    train: { images: r.fillUniform(new Float32Array(60 * 16)), count: 60 },
    test: { images: r.fillUniform(new Float32Array(12 * 16)), count: 12 },
    dim: 16,
    displayIndices: [0, 1, 2],
  };
})();

class Interrupt extends Error {}

/** Runs `cfg` in its own output dir; `stopAt` throws out of the run (a crash) after that epoch. */
async function execute(cfg: AutoencoderRun, dir: string, opts: { stopAt?: number; logs?: string[] } = {}) {
  const checkpoints = new RunCheckpoints(dir, cfg.id, 'h', (m) => opts.logs?.push(m), 100);
  const result = await executeRun(cfg, data, {
    cacheDir: join(root, 'cache'),
    dir,
    rng: Rng.seeded(cfg.seed),
    backend: getBackend('reference'),
    checkpoints,
    emit: (e: StudyRunEvent) => {
      if (e.type === 'log') opts.logs?.push(e.message);
      if (e.type === 'epoch' && e.epoch === opts.stopAt) throw new Interrupt();
    },
  });
  return { result, checkpoints };
}

const numbers = (r: AutoencoderResult) => ({ ...r, timing: undefined });
const anyHeader = z.looseObject({});
/** A checkpoint's whole state but for timing: weights, optimizer, rng, order, history, early stopping. */
function state(file: string) {
  const { header, payload } = decodeFramed(
    readFileSync(file),
    'NMFCKPT1',
    'ckpt',
    anyHeader,
    (r) => new Error(r),
  );
  return { header: { ...header, initializerSeconds: 0 }, payload: Buffer.from(payload).toString('base64') };
}

describe('a run resumed from a checkpoint', () => {
  it('ends bit-identical to the uninterrupted run: results, weights, optimizer, rng and history', async () => {
    const cfg = config([{ name: 'model-checkpoint', every: 1 }]);
    const a = await execute(cfg, join(root, 'whole'));
    const logs: string[] = [];
    const dir = join(root, 'resumed');
    await expect(execute(cfg, dir, { stopAt: 4 })).rejects.toThrow(Interrupt);
    const b = await execute(cfg, dir, { logs });
    expect(logs, logs.join('\n')).toContain(
      `resumed from the checkpoint after epoch 3 (${join(dir, 'checkpoints', cfg.id, 'step-00000003.ckpt')})`,
    );
    expect(numbers(b.result)).toEqual(numbers(a.result));
    // The state after the last checkpointed epoch, written by the resumed run, is the same bytes.
    const last = `step-${String(EPOCHS - 1).padStart(8, '0')}.ckpt`;
    expect(state(join(dir, 'checkpoints', cfg.id, last))).toEqual(
      state(join(root, 'whole', 'checkpoints', cfg.id, last)),
    );
  });

  it('with early stopping, stops where the uninterrupted run stops and restores the same best weights', async () => {
    const cfg = config([
      // Validation loss falls by 0.0008 after epoch 1, then by less than 0.0006: it stops at epoch 3.
      {
        name: 'early-stopping',
        monitor: 'val_loss',
        patience: 1,
        minDelta: 0.0006,
        restoreBestWeights: true,
      },
      { name: 'model-checkpoint', every: 1 },
    ]);
    const a = await execute(cfg, join(root, 'es-whole'));
    expect(a.result.earlyStopping).toMatchObject({
      stoppedEpoch: 3,
      bestEpoch: 2,
      restoredBestWeights: true,
    });
    expect(a.result.history.loss).toHaveLength(3);
    const dir = join(root, 'es-resumed');
    await expect(execute(cfg, dir, { stopAt: 2 })).rejects.toThrow(Interrupt);
    const b = await execute(cfg, dir);
    expect(numbers(b.result)).toEqual(numbers(a.result));
  });

  it('skips a corrupt checkpoint for the one before it, and starts from scratch when none is good, saying so', async () => {
    const cfg = config([{ name: 'model-checkpoint', every: 2 }]);
    const a = await execute(cfg, join(root, 'c-whole'));
    const dir = join(root, 'corrupt');
    await expect(execute(cfg, dir, { stopAt: 5 })).rejects.toThrow(Interrupt);
    const ckDir = join(dir, 'checkpoints', cfg.id);
    const files = readdirSync(ckDir).sort();
    expect(files).toEqual(['step-00000002.ckpt', 'step-00000004.ckpt']);
    const flip = (f: string) => {
      const bytes = readFileSync(join(ckDir, f));
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(join(ckDir, f), bytes);
    };
    flip('step-00000004.ckpt');
    const logs: string[] = [];
    const b = await execute(cfg, dir, { logs });
    expect(logs.join('\n')).toMatch(
      /step-00000004\.ckpt is unusable \(checksum mismatch.*\); trying the one before/,
    );
    expect(logs.join('\n')).toMatch(/resumed from the checkpoint after epoch 2/);
    expect(numbers(b.result)).toEqual(numbers(a.result));

    // Now every checkpoint is bad: the run starts over and still gets the same numbers.
    for (const f of readdirSync(ckDir)) flip(f);
    const logs2: string[] = [];
    const c = await execute(cfg, dir, { logs: logs2 });
    expect(logs2.join('\n')).toMatch(/unusable \(checksum mismatch.*\); starting from scratch/);
    expect(logs2.join('\n')).not.toMatch(/resumed from/);
    expect(numbers(c.result)).toEqual(numbers(a.result));
  });
});

describe('a study killed with SIGKILL mid-run', () => {
  it('resumes the run from its last checkpoint and stores the numbers of an uninterrupted run', async () => {
    const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
    const spec = (dir: string): AutoencoderSpecInput => ({
      name: 'killed',
      datasets: [{ name: 'synthetic', params: { height: 8, width: 8, trainCount: 400, testCount: 20 } }],
      model: { sizes: [64, 32, 64] },
      initializers: [{ name: 'glorot-uniform' }],
      training: { batchSize: 16, callbacks: [{ name: 'model-checkpoint', every: 2 }] },
      grid: { samples: [{ count: 400 }], epochs: [40] },
      backend: 'reference',
      outputs: { dir },
    });
    const cacheDir = join(root, 'cache');
    const dir = join(root, 'killed');
    const file = join(root, 'killed.json');
    writeFileSync(file, JSON.stringify(spec(dir)));
    const run = (onLine?: (out: string, kill: () => void) => void) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [
          bin,
          'run',
          file,
          '--workers',
          '1',
          '--progress',
          'plain',
          '--cache-dir',
          cacheDir,
        ]);
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          onLine?.(out, () => child.kill('SIGKILL'));
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
        child.on('exit', (code, signal) => resolve({ code, signal, out }));
      });
    let killed = false;
    const first = await run((out, kill) => {
      // Epoch 3 ended, so the checkpoint after epoch 2 is on disk; the run has 37 epochs to go.
      if (!killed && /epoch 3\/40/.test(out)) {
        killed = true;
        kill();
      }
    });
    expect(first.signal).toBe('SIGKILL');
    const id = 'synthetic__400__glorot-uniform__seed0';
    expect(existsSync(join(dir, 'runs', `${id}.json`))).toBe(false);
    expect(readdirSync(join(dir, 'checkpoints', id)).length).toBeGreaterThan(0);
    const second = await run();
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/resumed from the checkpoint after epoch (2|4|6)/);
    // Stored, its checkpoints are gone.
    expect(existsSync(join(dir, 'checkpoints', id))).toBe(false);

    const whole = join(root, 'unkilled');
    await runExperiment(spec(whole), {
      plugins: [...BUILTIN_PLUGIN_MODULES],
      progress: 'none',
      workers: 1,
      cacheDir,
      log: () => {},
    });
    const result = (d: string) => ({
      ...(new RunStore(d).read(id)!.result as AutoencoderResult),
      timing: undefined,
    });
    expect(result(dir)).toEqual(result(whole));
  }, 120_000);
});
