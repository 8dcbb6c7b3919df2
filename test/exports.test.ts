import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoencoderRun } from '../plugins/studies/autoencoder-init/grid.ts';
import type { AutoencoderResult } from '../plugins/studies/autoencoder-init/result.ts';
import type { SaeResult } from '../plugins/studies/sae/run.ts';
import type { SaeRun } from '../plugins/studies/sae/spec.ts';
import { configName, type ShallowPcaResult, type ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import type { StoredRun } from '../src/experiment/study-kind.ts';
import { METRICS_CSV_COLUMNS, type MetricRow, metricsCsv } from '../src/report/metrics-csv.ts';
import { nmfinitProvenance, provenanceLine } from '../src/report/provenance.ts';
import { tensorboardTag } from '../src/report/tensorboard.ts';
import { tinyAutoencoderSpec, tinyNmfIdentitySpec } from './helpers/tiny-studies.ts';

// metrics.csv and TensorBoard event files of the kinds with per-epoch (per-step) numbers, read
// back with a strict CSV parser (csv-parse) and an independent TFRecord/protobuf reader written
// here, and compared with the stored runs.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-exports-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  workers: 1,
  cacheDir: join(root, 'cache'),
  log: () => {},
};

const aeDir = join(root, 'ae');
const pcaDir = join(root, 'shpca');
const saeDir = join(root, 'sae');

const withTensorboard = <S extends { outputs: { dir: string } }>(s: S) => ({
  ...s,
  outputs: { ...s.outputs, tensorboard: true },
});

beforeAll(async () => {
  await runExperiment(
    withTensorboard({ ...tinyAutoencoderSpec(aeDir), initializers: [{ name: 'glorot-uniform' }] }),
    options,
  );
  await runExperiment(
    withTensorboard({
      kind: 'shallow-pca',
      name: 'shpca',
      datasets: [
        {
          label: 'spiked',
          name: 'spiked-gaussian',
          params: { dim: 8, spikes: [4, 1], trainCount: 600, testCount: 50 },
          trainCount: 600,
          testCount: 50,
          k: 2,
          steps: 600,
          lr: 0.1,
        },
      ],
      model: { activations: ['erf'], tied: [true, false], biases: [false] },
      seeds: 1,
      records: 4,
      outputs: { dir: pcaDir },
    }),
    options,
  );
  const params = { height: 4, width: 4, features: 12, meanActive: 2, trainCount: 256, testCount: 64 };
  await runExperiment(
    withTensorboard({
      kind: 'sae',
      name: 'sae-tiny',
      datasets: [{ name: 'superposition', params, trainSamples: 256, evalSamples: 64 }],
      latents: [16],
      k: [2],
      seeds: 2,
      epochs: 1,
      batchSize: 64,
      recordEvery: 2,
      atomsShown: 2,
      outputs: { dir: saeDir },
    }),
    options,
  );
}, 60_000);

interface CsvRow {
  run: string;
  dataset: string;
  initializer: string;
  seed: string;
  epoch: string;
  split: string;
  metric: string;
  value: string;
}

function readCsv(dir: string): CsvRow[] {
  const text = readFileSync(join(dir, 'metrics.csv'), 'utf8');
  expect(text.split('\n')[0]).toBe(METRICS_CSV_COLUMNS.join(','));
  // csv-parse's defaults, spelt out: a ragged row or a stray quote is an error.
  return parse(text, { columns: true, relax_quotes: false, relax_column_count: false }) as CsvRow[];
}

const parseValue = (s: string) => (s === 'Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const keyOf = (r: { run: string; epoch: number | string; split: string; metric: string }) =>
  `${r.run}|${r.epoch}|${r.split}|${r.metric}`;

/** Checks that the CSV holds exactly `expected` (each key once) with equal values. */
function expectCsvEquals(rows: CsvRow[], expected: MetricRow[]) {
  expect(rows.length).toBe(expected.length);
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  expect(byKey.size).toBe(rows.length);
  for (const e of expected) {
    const r = byKey.get(keyOf(e));
    expect(r, keyOf(e)).toBeDefined();
    expect([r!.dataset, r!.initializer, Number(r!.seed)]).toEqual([e.dataset, e.initializer, e.seed]);
    expect(same(parseValue(r!.value), e.value), `${keyOf(e)}: ${r!.value} vs ${e.value}`).toBe(true);
  }
}

const storedRuns = <R, T>(dir: string) =>
  loadStudy([dir]).input.runs as unknown as StoredRun<R & { id: string; seed: number; backend: string }, T>[];

describe('metrics.csv', () => {
  it('autoencoder-init: per run (E + 1) train losses, (E + 1) validation losses and a test MSE per snapshot, equal to the stored history', () => {
    const runs = storedRuns<AutoencoderRun, AutoencoderResult>(aeDir);
    expect(runs).toHaveLength(2);
    const expected: MetricRow[] = [];
    for (const { id, config, result } of runs) {
      const b = { run: id, dataset: 'blobs', initializer: 'glorot-uniform', seed: config.seed };
      const h = result.history;
      expect(h.loss).toHaveLength(4);
      [h.initialLoss, ...h.loss].forEach((value, epoch) => {
        expected.push({ ...b, epoch, split: 'train', metric: 'loss', value });
      });
      [h.initialValLoss, ...h.valLoss].forEach((value, epoch) => {
        expected.push({ ...b, epoch, split: 'validation', metric: 'loss', value });
      });
      for (const s of result.snapshots)
        expected.push({ ...b, epoch: s.epoch, split: 'test', metric: 'mse', value: s.testMse });
    }
    const rows = readCsv(aeDir);
    // 2 runs × (2 × (4 + 1) losses + snapshots at epochs 0 and 4).
    expect(rows).toHaveLength(2 * (2 * 5 + 2));
    expectCsvEquals(rows, expected);
  });

  it('shallow-pca: per record the test MSE and K subspace and best-unit overlaps, epoch = SGD step', () => {
    const runs = storedRuns<ShallowPcaRun, ShallowPcaResult>(pcaDir);
    expect(runs).toHaveLength(2);
    const expected: MetricRow[] = [];
    for (const { id, config, result } of runs)
      for (const r of result.records) {
        const b = {
          run: id,
          dataset: 'spiked',
          initializer: configName(config),
          seed: config.seed,
          epoch: r.step,
          split: 'test',
        };
        expected.push({ ...b, metric: 'mse', value: r.testMse });
        r.subspace.forEach((value, m) => {
          expected.push({ ...b, metric: `subspace_pc${m + 1}`, value });
        });
        r.bestUnit.forEach((value, m) => {
          expected.push({ ...b, metric: `best_unit_pc${m + 1}`, value });
        });
      }
    const rows = readCsv(pcaDir);
    const records = runs.reduce((s, r) => s + r.result.records.length, 0);
    expect(rows).toHaveLength(records * (1 + 2 * 2));
    expectCsvEquals(rows, expected);
  });

  it('sae: per record loss (after the first step), dead fraction, normalised MSE and L0', () => {
    const runs = storedRuns<SaeRun, SaeResult>(saeDir);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const expected: MetricRow[] = [];
    for (const { id, config, result } of runs)
      for (const r of result.records) {
        const b = {
          run: id,
          dataset: config.label,
          initializer: config.dictionary,
          seed: config.seed,
          epoch: r.step,
        };
        if (r.loss !== null) expected.push({ ...b, split: 'train', metric: 'loss', value: r.loss });
        expected.push({ ...b, split: 'train', metric: 'dead_fraction', value: r.deadFraction });
        expected.push({ ...b, split: 'eval', metric: 'normalized_mse', value: r.normalizedMse });
        expected.push({ ...b, split: 'eval', metric: 'l0', value: r.l0 });
      }
    // Recovery of planted directions after the last step, where the data set has them (issue 23).
    let recoveryRows = 0;
    for (const { id, config, result } of runs) {
      const end = {
        run: id,
        dataset: config.label,
        initializer: config.dictionary,
        seed: config.seed,
        epoch: result.records[result.records.length - 1].step,
        split: 'eval',
      };
      if (result.recovery !== null) {
        expected.push({ ...end, metric: 'recovery_max_cosine', value: result.recovery });
        recoveryRows++;
      }
      if (result.matching) {
        expected.push({ ...end, metric: 'recovery_matched_cosine', value: result.matching.meanCosine });
        expected.push({ ...end, metric: 'recovery_matched_fraction', value: result.matching.fractionAbove });
        recoveryRows += 2;
      }
    }
    expect(recoveryRows).toBe(3 * runs.length); // superposition: every run has a truth
    const rows = readCsv(saeDir);
    for (const r of runs) expect(r.result.records[0].loss).toBeNull();
    const records = runs.reduce((s, r) => s + r.result.records.length, 0);
    expect(rows).toHaveLength(4 * records - runs.length + recoveryRows);
    expectCsvEquals(rows, expected);
  });

  it('quotes any text and keeps every number (RFC 4180 through csv-parse, NaN and ±Inf as R writes them)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '0') });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            run: text,
            dataset: text,
            initializer: text,
            seed: fc.integer(),
            epoch: fc.nat(),
            split: text,
            metric: text,
            value: fc.double().filter((v) => !Object.is(v, -0)),
          }),
          { maxLength: 8 },
        ),
        (rows) => {
          const back = parse(metricsCsv(rows), {
            columns: true,
            relax_quotes: false,
            relax_column_count: false,
          }) as CsvRow[];
          expect(back).toHaveLength(rows.length);
          back.forEach((b, i) => {
            const r = rows[i];
            expect([b.run, b.dataset, b.initializer, b.split, b.metric]).toEqual([
              r.run,
              r.dataset,
              r.initializer,
              r.split,
              r.metric,
            ]);
            expect([Number(b.seed), Number(b.epoch)]).toEqual([r.seed, r.epoch]);
            expect(same(parseValue(b.value), r.value)).toBe(true);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is not written by kinds without per-epoch numbers, which reject outputs.tensorboard', async () => {
    const dir = join(root, 'nmfid');
    await expect(runExperiment(withTensorboard(tinyNmfIdentitySpec(dir)), options)).rejects.toThrow(
      /outputs\.tensorboard: study kind 'nmf-identity' records no per-epoch numbers/,
    );
    await expect(
      runExperiment({ ...tinyNmfIdentitySpec(dir), outputs: { dir, tensorboard: 'yes' } }, options),
    ).rejects.toThrow(/outputs\.tensorboard/);
  });
});

describe('provenance in results.json of the kinds with metrics', () => {
  it('autoencoder-init, shallow-pca and sae name the nmfinit version and commit', () => {
    for (const dir of [aeDir, pcaDir, saeDir]) {
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.nmfinit, dir).toEqual(nmfinitProvenance());
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain(`Written by ${provenanceLine()}.`);
    }
  });
});

// ---- An independent TensorBoard reader: TFRecord framing, CRC-32C, protobuf wire format ----

/** CRC-32C (Castagnoli), bit by bit: slow and obviously right. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true)).toBe(mask(crc32cBitwise(bytes.subarray(at, at + 8))));
    const data = bytes.subarray(at + 12, at + 12 + length);
    expect(data.length).toBe(length);
    expect(view.getUint32(at + 12 + length, true)).toBe(mask(crc32cBitwise(data)));
    out.push(data);
    at += 16 + length;
  }
  expect(at).toBe(bytes.length);
  return out;
}

type Field = { field: number; wire: number; value: bigint | Uint8Array };
function readFields(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const x = b[at++];
      v |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return v;
    }
  };
  while (at < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      fields.push({ field, wire, value: b.slice(at, at + n) });
      at += n;
    } else if (wire === 2) {
      const n = Number(varint());
      fields.push({ field, wire, value: b.slice(at, at + n) });
      at += n;
    } else throw new Error(`wire type ${wire}`);
  }
  return fields;
}
const f64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
const f32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}
function readEvents(path: string): ReadEvent[] {
  return readRecords(readFileSync(path)).map((data) => {
    const e: ReadEvent = { wallTime: Number.NaN, step: 0, values: [] };
    for (const f of readFields(data)) {
      if (f.field === 1 && f.wire === 1) e.wallTime = f64(f.value as Uint8Array);
      else if (f.field === 2 && f.wire === 0) e.step = Number(f.value);
      else if (f.field === 3 && f.wire === 2) e.fileVersion = text(f.value as Uint8Array);
      else if (f.field === 5 && f.wire === 2) {
        for (const v of readFields(f.value as Uint8Array)) {
          expect(v.field).toBe(1); // Summary.value
          const inner = readFields(v.value as Uint8Array);
          const tag = inner.find((x) => x.field === 1 && x.wire === 2);
          const simple = inner.find((x) => x.field === 2 && x.wire === 5);
          e.values.push({ tag: text(tag!.value as Uint8Array), value: f32(simple!.value as Uint8Array) });
        }
      } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
    }
    return e;
  });
}

describe('TensorBoard event files (outputs.tensorboard: true)', () => {
  it('the bitwise CRC-32C of this reader is CRC-32C (check value of "123456789")', () => {
    expect(crc32cBitwise(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  for (const [kind, dir] of [
    ['autoencoder-init', aeDir],
    ['shallow-pca', pcaDir],
    ['sae', saeDir],
  ] as const) {
    it(`${kind}: one events file per run, both CRCs of every record hold, file_version first, every metrics.csv value at its step as float32`, () => {
      const rows = readCsv(dir);
      const runs = loadStudy([dir]).input.runs;
      expect(readdirSync(join(dir, 'tensorboard')).sort()).toEqual(runs.map((r) => r.id).sort());
      for (const run of runs) {
        const files = readdirSync(join(dir, 'tensorboard', run.id));
        expect(files).toHaveLength(1);
        expect(files[0]).toBe(
          `events.out.tfevents.${Math.floor(Date.parse(run.timing.startedAt) / 1000)}.nmfinit`,
        );
        const events = readEvents(join(dir, 'tensorboard', run.id, files[0]));
        expect(events[0].fileVersion).toBe('brain.Event:2');
        expect(events[0].values).toEqual([]);
        const steps = events.slice(1).map((e) => e.step);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
        const start = Date.parse(run.timing.startedAt) / 1000;
        const end = Date.parse(run.timing.finishedAt) / 1000;
        for (const e of events) {
          expect(e.wallTime).toBeGreaterThanOrEqual(start - 1e-6);
          expect(e.wallTime).toBeLessThanOrEqual(end + 1e-6);
        }
        const got = events.flatMap((e) =>
          e.values.map((v) => ({ key: `${e.step}|${v.tag}`, value: v.value })),
        );
        const want = rows
          .filter((r) => r.run === run.id)
          .map((r) => ({
            key: `${r.epoch}|${tensorboardTag(r)}`,
            value: Math.fround(parseValue(r.value)),
          }));
        expect(got.length).toBe(want.length);
        const byKey = new Map(got.map((g) => [g.key, g.value]));
        for (const w of want) expect(same(byKey.get(w.key)!, w.value), w.key).toBe(true);
      }
    });
  }

  it('writing the report again replaces each file rather than adding one', async () => {
    await writeReport(loadStudy([aeDir]), { log: () => {} });
    for (const run of readdirSync(join(aeDir, 'tensorboard')))
      expect(readdirSync(join(aeDir, 'tensorboard', run))).toHaveLength(1);
  });

  it('TensorBoard itself (EventAccumulator) reads the same values, where a python3 on PATH or /usr/bin has it', () => {
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) =>
        spawnSync(p, ['-c', 'import tensorboard.backend.event_processing.event_accumulator'], {
          stdio: 'ignore',
        }).status === 0,
    );
    const run = readdirSync(join(aeDir, 'tensorboard'))[0];
    const folder = join(aeDir, 'tensorboard', run);
    // Without TensorBoard installed, the reader above is the check; this one then only sees the file.
    if (!python) {
      expect(readEvents(join(folder, readdirSync(folder)[0])).length).toBeGreaterThan(1);
      return;
    }
    const script = [
      'import sys, json',
      'from tensorboard.backend.event_processing.event_accumulator import EventAccumulator',
      'a = EventAccumulator(sys.argv[1]); a.Reload()',
      "print(json.dumps({t: [[e.step, e.value] for e in a.Scalars(t)] for t in a.Tags()['scalars']}))",
    ].join('\n');
    const out = spawnSync(python, ['-c', script, folder], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const scalars = JSON.parse(out.stdout) as Record<string, [number, number][]>;
    const rows = readCsv(aeDir).filter((r) => r.run === run);
    for (const r of rows) {
      const hit = scalars[tensorboardTag(r)]?.find(([step]) => step === Number(r.epoch));
      expect(hit, `${r.epoch} ${tensorboardTag(r)}`).toBeDefined();
      expect(same(hit![1], Math.fround(parseValue(r.value)))).toBe(true);
    }
  });
});
