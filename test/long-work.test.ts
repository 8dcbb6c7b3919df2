// Long work on shared directories: temp files named for their writer (an orphan left by a killed
// writer is removed later, a live writer's is not), one lock per run (two processes on one output
// directory train each run once), every cache under the run's cache dir, and an ETA weighted by cost.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { loadSpecFile } from '../src/cli/run-command.ts';
import { loadOrBuildCachedSplit } from '../src/data/binary-cache.ts';
import { PlainReporter } from '../src/experiment/progress.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
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
        build: () => {
          builds++;
          return { train: split, test: split };
        },
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

describe('one lock per run', () => {
  // The README's small study kind (its report is one table): the machinery is what is tested.
  const kindModule = new URL('../experiments/custom-study-kind.ts', import.meta.url).href;
  const options = { plugins: [...BUILTIN_PLUGIN_MODULES, kindModule], progress: 'none' as const, workers: 1 };
  const spec = (dir: string) => ({
    kind: 'uniform-means',
    name: 'locks',
    sizes: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * 200_000),
    outputs: { dir },
  });
  const ids = (dir: string) =>
    loadStudy([dir])
      .input.runs.map((r) => r.config.id)
      .sort();

  it('lets two runs of one study on one directory train each run once, and both end with every run stored', async () => {
    const dir = join(root, 'two');
    const cacheDir = join(root, 'two-cache');
    const [a, b] = await Promise.all([
      runExperiment(spec(dir), { ...options, cacheDir, log: () => {} }),
      runExperiment(spec(dir), { ...options, cacheDir, log: () => {} }),
    ]);
    const all = ids(dir);
    expect(all).toHaveLength(8);
    expect([...a.trained, ...b.trained].sort()).toEqual(all);
    // Each process trained its share and saw the rest stored by the other.
    expect([...a.trained, ...a.storedElsewhere].sort()).toEqual(all);
    expect([...b.trained, ...b.storedElsewhere].sort()).toEqual(all);
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  }, 60_000);

  it('waits for a run a live process holds, saying whose it is, and trains it once the lock is given up', async () => {
    const dir = join(root, 'held');
    const held = 'n200000';
    const lock = join(dir, 'locks', `${held}.lock`);
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(lock, `${process.pid} ${hostTag()}\n`);
    // A lock of a dead process is taken over without waiting.
    writeFileSync(join(dir, 'locks', 'n400000.lock'), `${await deadPid()} ${hostTag()}\n`);
    const logs: string[] = [];
    const outcome = await runExperiment(spec(dir), {
      ...options,
      cacheDir: join(root, 'held-cache'),
      log: (m) => {
        logs.push(m);
        // The holder "dies" once it has been named: its run is handed back.
        if (m.includes('being trained by')) rmSync(lock);
      },
    });
    expect(logs).toContain(`${held}: being trained by pid ${process.pid} on ${hostTag()}; waiting for it`);
    expect(logs.filter((m) => m.includes('being trained by'))).toHaveLength(1);
    expect(outcome.trained.sort()).toEqual(ids(dir));
    expect(outcome.trained).toHaveLength(8);
  }, 60_000);
});

describe('the ETA', () => {
  // Three runs of very different work, as a kind's `cost` says: 1, 3 and 6 units.
  const runs = [
    { id: 'small', seed: 0, backend: 'reference', units: 1 },
    { id: 'medium', seed: 0, backend: 'reference', units: 3 },
    { id: 'large', seed: 0, backend: 'reference', units: 6 },
  ];
  const cost = (c: unknown) => (c as { units: number }).units;
  const run = (id: string) => runs.find((r) => r.id === id)!;
  /** A reporter on a fake clock; `eta()` reads the seconds from its latest line. */
  function reporter() {
    let ms = 0;
    const lines: string[] = [];
    const r = new PlainReporter(
      runs,
      cost,
      (l) => lines.push(l),
      () => ms,
    );
    r.start(runs.length, 0);
    const eta = () => {
      const m = /ETA (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(lines.at(-1) ?? '');
      if (!m) throw new Error(`no ETA in '${lines.at(-1)}'`);
      return 3600 * Number(m[1] ?? 0) + 60 * Number(m[2] ?? 0) + Number(m[3] ?? 0);
    };
    return { r, eta, at: (seconds: number) => (ms = seconds * 1000) };
  }

  it('after the first run is the remaining cost × (elapsed / cost done), not runs left × mean run time', () => {
    const a = reporter();
    a.r.runStarted(0, run('small'));
    a.at(10);
    a.r.runFinished(0, run('small'), 'ok');
    // 9 units left at 10 s a unit; the naive count would say 2 runs × 10 s = 20 s.
    expect(a.eta()).toBe(90);

    const b = reporter();
    b.r.runStarted(0, run('large'));
    b.at(60);
    b.r.runFinished(0, run('large'), 'ok');
    // 4 units left at 10 s a unit; the naive count says 2 × 60 s = 120 s.
    expect(b.eta()).toBe(40);
  });

  it('counts the finished fraction of runs in flight', () => {
    const a = reporter();
    a.r.runStarted(0, run('small'));
    a.r.runStarted(1, run('medium'));
    a.at(12);
    // The medium run is a third done (1 unit) when the small one finishes: 2 units in 12 s.
    a.r.runEvent(1, run('medium'), { type: 'epoch', epoch: 1, epochs: 3, loss: 0.5 });
    a.r.runFinished(0, run('small'), 'ok');
    expect(a.eta()).toBe((12 * (10 - 2)) / 2);
  });
});

describe('the plain log of long runs', () => {
  it('says where the runs in flight are at most once a heartbeat, counting from its last line', () => {
    let ms = 0;
    const lines: string[] = [];
    const runs = [
      { id: 'a', seed: 0, backend: 'reference' },
      { id: 'b', seed: 0, backend: 'reference' },
    ];
    const r = new PlainReporter(
      runs,
      () => 1,
      (l) => lines.push(l),
      () => ms,
      60,
    );
    r.start(2, 0);
    r.runStarted(0, runs[0]);
    r.runStarted(1, runs[1]);
    const progress = (slot: number, fraction: number, seconds: number) => {
      ms = seconds * 1000;
      r.runEvent(slot, runs[slot], { type: 'progress', fraction });
    };
    progress(0, 0.1, 30);
    expect(lines).toHaveLength(1); // only "2 run(s) to train"
    progress(1, 0.2, 61);
    expect(lines).toHaveLength(2);
    // Both runs, their fractions, and an ETA from them: 0.3 of 2 units done in 61 s,
    // 61 s · (2 − 0.3) / 0.3 = 345.7 s left.
    expect(lines[1]).toBe('  [0/2 done] running: a 10%, b 20%; ETA 5m46s');
    progress(0, 0.5, 100);
    expect(lines).toHaveLength(2);
    ms = 110_000;
    r.runFinished(0, runs[0], 'ok');
    expect(lines).toHaveLength(3);
    // The finished run's line restarts the clock: nothing at 160 s, a line at 170 s.
    progress(1, 0.6, 160);
    expect(lines).toHaveLength(3);
    progress(1, 0.7, 170);
    expect(lines.at(-1)).toMatch(/^ {2}\[1\/2 done\] running: b 70%; ETA /);
  });
});

describe('errors name the file or field', () => {
  const aeSpec = (dir: string) => ({
    name: 'names',
    datasets: [
      {
        name: 'synthetic',
        label: 'blobs',
        params: { height: 8, width: 8, trainCount: 100, testCount: 20, classes: 3 },
      },
    ],
    model: { sizes: [64, 8, 64] },
    initializers: [{ name: 'zeros' }],
    training: { batchSize: 16 },
    grid: { samples: [{ count: 60, seeds: 1 }], epochs: [1] },
    backend: 'reference',
    outputs: { dir },
  });
  const quiet = {
    plugins: [...BUILTIN_PLUGIN_MODULES],
    progress: 'none' as const,
    workers: 1,
    log: () => {},
  };

  it('nmfinit report on a corrupt spec.json, pca/ or display/ file names that file', async () => {
    const dir = join(root, 'corrupt');
    await runExperiment(aeSpec(dir), { ...quiet, cacheDir: join(root, 'corrupt-cache') });
    const report = async () => writeReport(loadStudy([dir]), { log: () => {} });
    await report(); // intact: no error
    for (const sub of ['pca', 'display']) {
      const file = join(dir, sub, readdirSync(join(dir, sub))[0]);
      const good = readFileSync(file);
      writeFileSync(file, '{"unterminated');
      await expect(report()).rejects.toThrow(`${file}: not valid JSON`);
      writeFileSync(file, good);
    }
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, '{"name": "names", ');
    await expect(report()).rejects.toThrow(`${spec}: not valid JSON`);
  }, 60_000);

  it('an experiment .ts file that throws on import is named', async () => {
    const file = join(root, 'throws-on-import.ts');
    writeFileSync(file, "throw new Error('no data set here');\nexport const spec = {};\n");
    await expect(loadSpecFile(file)).rejects.toThrow(
      `cannot load experiment file '${file}': no data set here`,
    );
  });

  it('outputs.pcaRank beyond the data names the field', async () => {
    const dir = join(root, 'pca-rank');
    const spec = { ...aeSpec(dir), outputs: { dir, pcaRank: 5000 } };
    await expect(runExperiment(spec, { ...quiet, cacheDir: join(root, 'pca-rank-cache') })).rejects.toThrow(
      /^outputs\.pcaRank: 5000 is more than the \d+ components/,
    );
  });
});
