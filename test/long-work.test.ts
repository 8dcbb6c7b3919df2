// Long work on shared directories: temp files named for their writer (an orphan left by a killed
// writer is removed later, a live writer's is not), one lock per run (two processes on one output
// directory train each run once), every cache under the run's cache dir, and an ETA weighted by cost.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrBuildCachedSplit } from '../src/data/binary-cache.ts';
import { removeStaleTempFiles, tempPathFor, writeFileAtomicSync } from '../src/util/files.ts';
import { hostTag } from '../src/util/owner.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-long-work-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pid that no process has: a child that has already exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', '0']);
    p.on('exit', () => resolve(p.pid as number));
  });
}

/** A temp file as a writer with this pid and host leaves it. */
function plantTemp(path: string, pid: number, host = hostTag()): string {
  const name = `${path}.${pid}.0.1.${host}.tmp`;
  writeFileSync(name, 'half a file');
  return name;
}

describe('temp files of atomic writes', () => {
  it('are named for their writer and gone after the write', () => {
    const dir = join(root, 'named');
    const path = join(dir, 'a.json');
    expect(tempPathFor(path)).toMatch(
      new RegExp(`a\\.json\\.${process.pid}\\.\\d+\\.\\d+\\.${hostTag()}\\.tmp$`),
    );
    writeFileAtomicSync(path, '{}\n');
    writeFileAtomicSync(path, '{"b":1}\n');
    expect(readdirSync(dir)).toEqual(['a.json']);
    // A write that cannot finish (the target is a directory) leaves no temp file behind.
    mkdirSync(join(dir, 'sub.json'));
    expect(() => writeFileAtomicSync(join(dir, 'sub.json'), 'x')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'sub.json']);
  });

  it('left by a dead writer are removed by the next dataset-cache load; a live or foreign one is kept', async () => {
    const cacheDir = join(root, 'fashion');
    const datasets = join(cacheDir, 'datasets');
    mkdirSync(datasets, { recursive: true });
    const target = join(datasets, 'toy-train.nmfds');
    const orphan = plantTemp(target, await deadPid());
    const live = plantTemp(join(datasets, 'toy-test.nmfds'), process.pid);
    const foreign = plantTemp(target, await deadPid(), 'another-machine');
    const split = {
      pixels: new Uint8Array(4),
      labels: new Uint8Array(1),
      imageShape: [2, 2] as const,
      classNames: ['a'],
    };
    let builds = 0;
    const load = () =>
      loadOrBuildCachedSplit({
        cacheDir,
        dataset: 'toy',
        split: 'train',
        key: 'k',
        build: () => (builds++, { train: split, test: split }),
      });
    await load();
    expect([existsSync(orphan), existsSync(live), existsSync(foreign)]).toEqual([false, true, true]);
    // Also when the cache is already complete (nothing to write): the load itself sweeps.
    const later = plantTemp(target, await deadPid());
    expect(removeStaleTempFiles(datasets)).toEqual([later.slice(datasets.length + 1)]);
    await load();
    expect(builds).toBe(1);
  });

  it('left by a dead writer are removed by the next atomic write in that directory', async () => {
    const dir = join(root, 'runs');
    mkdirSync(dir, { recursive: true });
    const orphan = plantTemp(join(dir, 'r1.json'), await deadPid());
    const live = plantTemp(join(dir, 'r2.json'), process.pid);
    writeFileAtomicSync(join(dir, 'r3.json'), '{}\n');
    expect([existsSync(orphan), existsSync(live)]).toEqual([false, true]);
  });
});
