import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { tryLock } from '../src/util/compute-once.ts';
import { FileWriteError, writeFileAtomicSync } from '../src/util/files.ts';

// Issue 21, item 11: a full disk gave "ENOSPC: no space left on device, write" and no path.
// Node's write and fsync errors name no file; every atomic write now names the one it writes,
// in the terminal and in failed/*.json. The disk is "full" for the files `full` matches: a mock
// of node:fs (this process only; the study's workers write nothing here) throws Node's own
// ENOSPC error from writeFileSync on a descriptor opened for such a file.
const state = vi.hoisted(() => ({ full: null as RegExp | null, fds: new Map<number, string>() }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (real.openSync as (...a: unknown[]) => number)(path, ...rest);
    state.fds.set(fd, String(path));
    return fd;
  }) as typeof real.openSync;
  const writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const path = typeof file === 'number' ? state.fds.get(file) : String(file);
    if (state.full && path !== undefined && state.full.test(path)) {
      // As Node raises it: a message, a code, a syscall, and no path.
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        errno: -28,
        code: 'ENOSPC',
        syscall: 'write',
      });
    }
    return (real.writeFileSync as (...a: unknown[]) => void)(file, ...rest);
  }) as typeof real.writeFileSync;
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    const path = state.fds.get(fd);
    if (state.full && path !== undefined && state.full.test(path))
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        errno: -28,
        code: 'ENOSPC',
        syscall: 'write',
      });
    return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof real.writeSync;
  const mocked = { ...real, openSync, writeFileSync, writeSync };
  return { ...mocked, default: mocked };
});

const root = mkdtempSync(join(tmpdir(), 'nmfinit-write-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  state.full = null;
});

describe('a write that fails', () => {
  it('names the file being written, keeps the errno code, and leaves no temp file', () => {
    const dir = join(root, 'unit');
    const path = join(dir, 'results.json');
    state.full = /results\.json/;
    let error: unknown;
    try {
      writeFileAtomicSync(path, '{}\n');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileWriteError);
    expect((error as FileWriteError).message).toBe(
      `cannot write '${path}': ENOSPC: no space left on device, write`,
    );
    expect((error as FileWriteError).code).toBe('ENOSPC');
    expect((error as FileWriteError).path).toBe(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock file (run locks, the directory lock, cache locks) is named, and not left behind holding nobody', () => {
    const dir = join(root, 'locks');
    const lock = join(dir, 'n1.lock');
    state.full = /\.lock$/;
    expect(() => tryLock(lock)).toThrow(`cannot write '${lock}': ENOSPC: no space left on device, write`);
    expect(readdirSync(dir)).toEqual([]);
    state.full = null;
    const got = tryLock(lock);
    expect('release' in got).toBe(true);
    if ('release' in got) got.release();
  });

  it('a directory where the file should be is named too', () => {
    const dir = join(root, 'dir-in-the-way');
    fs.mkdirSync(join(dir, 'run.json'), { recursive: true });
    expect(() => writeFileAtomicSync(join(dir, 'run.json'), '{}\n')).toThrow(
      new RegExp(`^cannot write '${join(dir, 'run.json')}': EISDIR`),
    );
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('in a study: the run whose result cannot be stored fails, named in the terminal and in failed/<id>.json; the others go on', async () => {
    const dir = join(root, 'study');
    const kindModule = new URL('../experiments/custom-study-kind.ts', import.meta.url).pathname;
    const log: string[] = [];
    state.full = /\/runs\/n2000\.json/;
    const outcome = await runExperiment(
      { kind: 'uniform-means', name: 'full-disk', sizes: [1000, 2000, 3000], outputs: { dir } },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES, kindModule],
        progress: 'plain',
        workers: 1,
        cacheDir: join(root, 'cache'),
        log: (m) => log.push(m),
      },
    );
    const file = join(dir, 'runs', 'n2000.json');
    expect(outcome.failed).toEqual(['n2000']);
    expect(outcome.trained.sort()).toEqual(['n1000', 'n3000']);
    const expected = `cannot write '${file}': ENOSPC: no space left on device, write`;
    expect(log.join('\n')).toContain(`[failed] n2000: ${expected}`);
    const record = JSON.parse(readFileSync(join(dir, 'failed', 'n2000.json'), 'utf8'));
    expect(record.error).toBe(expected);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(['n1000.json', 'n3000.json']);
  }, 60_000);

  it('when the failure record cannot be written either, the terminal names both files', async () => {
    const dir = join(root, 'study-full');
    const kindModule = new URL('../experiments/custom-study-kind.ts', import.meta.url).pathname;
    const log: string[] = [];
    state.full = /\/(runs|failed)\/n2000\.json/;
    const outcome = await runExperiment(
      { kind: 'uniform-means', name: 'full-disk', sizes: [1000, 2000], outputs: { dir } },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES, kindModule],
        progress: 'plain',
        workers: 1,
        cacheDir: join(root, 'cache'),
        log: (m) => log.push(m),
      },
    );
    expect(outcome.failed).toEqual(['n2000']);
    const text = log.join('\n');
    expect(text).toContain(`cannot write '${join(dir, 'runs', 'n2000.json')}': ENOSPC`);
    expect(text).toMatch(
      new RegExp(
        `n2000: the failure could not be recorded: cannot write '${join(dir, 'failed', 'n2000.json')}': ENOSPC`,
      ),
    );
  }, 60_000);
});
