// TensorBoard event files, written without TensorFlow: a TFRecord file (each record: uint64
// length, masked CRC-32C of the length, the data, masked CRC-32C of the data, all little-endian)
// of tensorflow.Event protocol buffers. The first event holds file_version "brain.Event:2"; each
// later one a step and a Summary of scalar values (Summary.Value{tag, simple_value}). Only these
// few fields are written, so the encoder is the handful of protobuf wire rules they need.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@aws-crypto/crc32c';
import { writeFileAtomicSync } from '../util/files.ts';
import type { MetricRow } from './metrics-csv.ts';

/** TFRecord's masked CRC: rotate right by 15 and add a constant (so CRCs of CRCs stay strong). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

class ProtoWriter {
  private readonly parts: number[] = [];
  private varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }
  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  /** A fixed-width field: wire type 1 is 8 bytes, 5 is 4, written little-endian by `write`. */
  private fixed(field: number, wire: 1 | 5, write: (view: DataView) => void): this {
    this.key(field, wire);
    const b = new Uint8Array(wire === 1 ? 8 : 4);
    write(new DataView(b.buffer));
    this.parts.push(...b);
    return this;
  }
  double(field: number, v: number): this {
    return this.fixed(field, 1, (view) => view.setFloat64(0, v, true));
  }
  float(field: number, v: number): this {
    return this.fixed(field, 5, (view) => view.setFloat32(0, v, true));
  }
  int64(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** An Event with file_version set: the first record of every events file. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).string(3, 'brain.Event:2').finish();
}

/** An Event at `step` whose Summary holds one simple_value per tag. */
export function scalarsEvent(
  wallTime: number,
  step: number,
  values: readonly { tag: string; value: number }[],
): Uint8Array {
  const summary = new ProtoWriter();
  for (const v of values) summary.bytes(1, new ProtoWriter().string(1, v.tag).float(2, v.value).finish());
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

/** The tag of a metric row: the metric first, so TensorBoard groups a metric's splits together. */
export const tensorboardTag = (r: Pick<MetricRow, 'metric' | 'split'>): string => `${r.metric}/${r.split}`;

/**
 * The events file of one run: the file_version event, then one event per epoch (or step) with
 * every metric of it. The runs' wall times are not stored per epoch: each event's wall_time is
 * spread evenly over the run's stored start and finish (`timing`), so TensorBoard's relative and
 * wall axes read sensibly; step is exact.
 */
export function encodeRunEvents(
  rows: readonly MetricRow[],
  timing: { startedAt: string; finishedAt: string },
): Uint8Array {
  const start = Date.parse(timing.startedAt) / 1000;
  const end = Date.parse(timing.finishedAt) / 1000;
  const byStep = new Map<number, { tag: string; value: number }[]>();
  for (const r of rows) {
    const at = byStep.get(r.epoch) ?? [];
    at.push({ tag: tensorboardTag(r), value: r.value });
    byStep.set(r.epoch, at);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  const last = steps.at(-1) ?? 0;
  const records = [tfRecord(fileVersionEvent(start))];
  for (const step of steps) {
    const wall = last > 0 ? start + ((end - start) * step) / last : end;
    records.push(tfRecord(scalarsEvent(wall, step, byStep.get(step)!)));
  }
  return Buffer.concat(records);
}

/**
 * Writes `<dir>/tensorboard/<run id>/events.out.tfevents.<start, s>.nmfinit` for every run (named
 * by its start, so a report written again replaces the file instead of adding one; a redone
 * run's older file is removed). `tensorboard --logdir <dir>/tensorboard` shows them. Returns the paths.
 */
export function writeTensorboardEvents(
  dir: string,
  rows: readonly MetricRow[],
  timings: ReadonlyMap<string, { startedAt: string; finishedAt: string }>,
): string[] {
  const byRun = new Map<string, MetricRow[]>();
  for (const r of rows) {
    const at = byRun.get(r.run) ?? [];
    at.push(r);
    byRun.set(r.run, at);
  }
  const paths: string[] = [];
  for (const [run, runRows] of byRun) {
    const timing = timings.get(run);
    if (!timing) throw new Error(`tensorboard: metrics of run '${run}', which has no stored timing`);
    const folder = join(dir, 'tensorboard', run);
    const name = `events.out.tfevents.${Math.floor(Date.parse(timing.startedAt) / 1000)}.nmfinit`;
    if (existsSync(folder))
      for (const f of readdirSync(folder))
        if (/^events\.out\.tfevents\..*\.nmfinit$/.test(f) && f !== name) rmSync(join(folder, f));
    const path = join(folder, name);
    writeFileAtomicSync(path, encodeRunEvents(runRows, timing));
    paths.push(path);
  }
  return paths;
}
