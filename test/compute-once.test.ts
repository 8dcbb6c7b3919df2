// Compute-once under a lock file: concurrent processes compute a factorization once; a lock left
// by a dead process or an old one is taken over; a live lock is waited for.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeOnce } from '../src/util/compute-once.ts';

const root = mkdtempSync(join(tmpdir(), 'compute-once-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/cached-nmf-child.ts', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}`))));
  });
}

/** A pid that no process has: a child that has already exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', '0']);
    p.on('exit', () => resolve(p.pid as number));
  });
}

describe('computeOnce', () => {
  it('lets two processes racing for the same factors compute them once between them', async () => {
    const dir = join(root, 'race');
    const sources = await Promise.all([child([dir, '200', '40']), child([dir, '200', '40'])]);
    expect(sources.sort()).toEqual(['cache', 'computed']);
    expect(readdirSync(join(dir, 'nmf'))).toHaveLength(1); // the factors, no lock left behind
  }, 60_000);

  it('waits on a live lock and loads what its holder wrote, computing nothing', () => {
    const lock = join(root, 'live', 'f.lock');
    let loads = 0;
    let waits = 0;
    const holder = () => {
      // The holder (this process, alive) "finishes" after the first look.
      if (loads++ === 0) {
        computeOnceLockFile(lock, process.pid);
        return undefined;
      }
      return 'from holder';
    };
    const value = computeOnce(lock, holder, () => 'computed', { pollMs: 1, onWait: () => waits++ });
    expect([value, waits]).toEqual(['from holder', 1]);
  });

  it('takes over a lock whose process is gone, or one older than staleMs', async () => {
    const dead = join(root, 'dead', 'f.lock');
    computeOnceLockFile(dead, await deadPid());
    expect(
      computeOnce(
        dead,
        () => undefined,
        () => 'computed',
      ),
    ).toBe('computed');
    expect(readdirSync(join(root, 'dead'))).toEqual([]);

    const old = join(root, 'old', 'f.lock');
    computeOnceLockFile(old, process.pid);
    utimesSync(old, new Date(0), new Date(0));
    expect(
      computeOnce(
        old,
        () => undefined,
        () => 'computed',
        { staleMs: 60_000 },
      ),
    ).toBe('computed');
  });

  it('releases the lock when the computation throws', () => {
    const lock = join(root, 'throws', 'f.lock');
    expect(() =>
      computeOnce(
        lock,
        () => undefined,
        () => {
          throw new Error('boom');
        },
      ),
    ).toThrow('boom');
    expect(readdirSync(join(root, 'throws'))).toEqual([]);
  });
});

/** A lock file as computeOnce writes it, held by `pid`. */
function computeOnceLockFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}
