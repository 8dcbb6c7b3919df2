import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoencoderRun } from '../plugins/studies/autoencoder-init/grid.ts';
import type { AutoencoderResult } from '../plugins/studies/autoencoder-init/result.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';
import { decodeFloat32 } from '../src/util/float32-base64.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  SafetensorsError,
} from '../src/util/safetensors.ts';
import { tinyAutoencoderSpec } from './helpers/tiny-studies.ts';

// Trained weights as safetensors: the codec's laws, then a study's exported weights, which must
// be the trained model (they reproduce its stored reconstructions), read here and by numpy.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-st-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tensorArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 3 }).chain((shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.oneof(
    fc
      .array(fc.float({ noNaN: true }), { minLength: n, maxLength: n })
      .map((v) => ({ shape, data: Float32Array.from(v) })),
    fc.array(fc.double(), { minLength: n, maxLength: n }).map((v) => ({ shape, data: Float64Array.from(v) })),
    fc
      .array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: n, maxLength: n })
      .map((v) => ({ shape, data: Int32Array.from(v) })),
    fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n })
      .map((v) => ({ shape, data: Uint8Array.from(v) })),
  );
});
const tensorsArb = fc.uniqueArray(
  fc.tuple(
    fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'),
    tensorArb,
  ),
  {
    selector: ([name]) => name,
    maxLength: 5,
  },
);

describe('the safetensors codec', () => {
  it('round-trips names, dtypes, shapes, values and metadata', () => {
    fc.assert(
      fc.property(tensorsArb, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (list, metadata) => {
        const tensors = list.map(([name, t]) => ({ name, ...t }));
        const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
        // Every name comes back. The order is the data's: tensors with distinct byte ranges keep the
        // encoding order, but empty tensors share an offset, and JSON objects put integer-like
        // names ('0') first, so only the byte ranges can order them.
        expect([...back.tensors.keys()].sort()).toEqual(tensors.map((t) => t.name).sort());
        const nonEmpty = (names: string[]) =>
          names.filter((n) => tensors.find((t) => t.name === n)!.data.length > 0);
        expect(nonEmpty([...back.tensors.keys()])).toEqual(nonEmpty(tensors.map((t) => t.name)));
        for (const t of tensors) {
          const b = back.tensors.get(t.name)!;
          expect(b.shape).toEqual(t.shape);
          expect(b.data.constructor).toBe(t.data.constructor);
          expect(Array.from(b.data)).toEqual(Array.from(t.data));
        }
        expect(back.metadata).toEqual(Object.keys(metadata).length > 0 ? metadata : {});
      }),
      { numRuns: 150 },
    );
  });

  it('lays out the file by the format: 8-byte LE length N ≡ 0 mod 8, space padding, offsets that tile the data in order', () => {
    fc.assert(
      fc.property(tensorsArb, (list) => {
        const tensors = list.map(([name, t]) => ({ name, ...t }));
        const bytes = encodeSafetensors(tensors, { format: 'test' });
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(n % 8).toBe(0);
        const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
        expect(text).toMatch(/^\{.*\} *$/s);
        const header = JSON.parse(text) as Record<
          string,
          { dtype: string; shape: number[]; data_offsets: [number, number] }
        >;
        let end = 0;
        for (const t of tensors) {
          const h = header[t.name];
          expect(h.data_offsets[0]).toBe(end);
          expect(h.data_offsets[1] - h.data_offsets[0]).toBe(t.data.byteLength);
          // Little-endian bytes of the values, at 8 + N + begin.
          const got = bytes.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
          expect(
            Buffer.from(got).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
          ).toBe(true);
          end = h.data_offsets[1];
        }
        expect(bytes.length).toBe(8 + n + end);
      }),
      { numRuns: 100 },
    );
  });

  it('names the defect of a damaged file', () => {
    const good = encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]);
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    expect(() => decodeSafetensors(good.subarray(0, 5), 'f')).toThrow(/f: 5 bytes, shorter/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 4), 'f')).toThrow(
      /f: 'w': data_offsets|cover|starts/,
    );
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => decodeSafetensors(longer, 'f')).toThrow(/cover 16 bytes of data, the file has 20/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, BigInt(good.length), true);
    expect(() => decodeSafetensors(huge, 'f')).toThrow(/header length .* exceeds/);
    const badJson = good.slice();
    badJson[8] = 0x5b; // '['
    expect(() => decodeSafetensors(badJson, 'f')).toThrow(SafetensorsError);
    const withShape = (shape: string) => {
      const h = Buffer.from(
        JSON.stringify({ w: { dtype: 'F32', shape: JSON.parse(shape), data_offsets: [0, 16] } }).padEnd(
          n,
          ' ',
        ),
      );
      const b = good.slice();
      b.set(h.subarray(0, n), 8);
      return b;
    };
    expect(() => decodeSafetensors(withShape('[4]'), 'f')).not.toThrow();
    expect(() => decodeSafetensors(withShape('[3]'), 'f')).toThrow(
      /'w': data_offsets span 16 bytes, shape \[3\] of F32 needs 12/,
    );
    expect(() => loadSafetensors(join(root, 'absent.safetensors'))).toThrow(
      /absent\.safetensors: cannot read/,
    );
  });
});

const dir = join(root, 'out');
beforeAll(async () => {
  const base = tinyAutoencoderSpec(dir);
  await runExperiment(
    { ...base, initializers: [{ name: 'he-normal' }], outputs: { ...base.outputs, weights: 'safetensors' } },
    {
      plugins: [...BUILTIN_PLUGIN_MODULES],
      progress: 'none',
      workers: 1,
      cacheDir: join(root, 'cache'),
      log: () => {},
    },
  );
}, 60_000);

/** The forward pass of a ReLU…sigmoid autoencoder in float64. */
function forward(
  layers: { kernel: Float32Array; bias: Float32Array; fanIn: number; fanOut: number }[],
  x: Float32Array,
) {
  let h = Float64Array.from(x);
  layers.forEach((l, i) => {
    const out = new Float64Array(l.fanOut);
    for (let j = 0; j < l.fanOut; j++) {
      let s = l.bias[j];
      for (let k = 0; k < l.fanIn; k++) s += h[k] * l.kernel[k * l.fanOut + j];
      out[j] = i === layers.length - 1 ? 1 / (1 + Math.exp(-s)) : Math.max(0, s);
    }
    h = out;
  });
  return h;
}

describe('outputs.weights: safetensors', () => {
  it('writes <out>/weights/<run id>.safetensors per run: dense_i/kernel fanIn × fanOut and dense_i/bias, which reproduce the stored reconstructions', () => {
    const { input, kind } = loadStudy([dir]);
    expect(kind.name).toBe('autoencoder-init');
    const runs = input.runs as unknown as { id: string; config: AutoencoderRun; result: AutoencoderResult }[];
    expect(readdirSync(join(dir, 'weights')).sort()).toEqual(runs.map((r) => `${r.id}.safetensors`).sort());
    const [display] = input.artifacts.list('display');
    const originals = (
      JSON.parse(readFileSync(join(dir, display), 'utf8')) as { originals: string[] }
    ).originals.map(decodeFloat32);
    for (const run of runs) {
      const file = loadSafetensors(join(dir, 'weights', `${run.id}.safetensors`));
      expect([...file.tensors.keys()]).toEqual([
        'dense_0/kernel',
        'dense_0/bias',
        'dense_1/kernel',
        'dense_1/bias',
      ]);
      expect(file.tensors.get('dense_0/kernel')!.shape).toEqual([64, 8]);
      expect(file.tensors.get('dense_1/kernel')!.shape).toEqual([8, 64]);
      expect(file.tensors.get('dense_1/bias')!.shape).toEqual([64]);
      expect(file.metadata).toMatchObject({
        format: 'nmfinit',
        run: run.id,
        initializer: 'he-normal',
        activations: 'relu,sigmoid',
        epochs: '4',
      });
      const layers = [0, 1].map((i) => {
        const kernel = file.tensors.get(`dense_${i}/kernel`)!;
        return {
          kernel: kernel.data as Float32Array,
          bias: file.tensors.get(`dense_${i}/bias`)!.data as Float32Array,
          fanIn: kernel.shape[0],
          fanOut: kernel.shape[1],
        };
      });
      const last = run.result.snapshots.find((s) => s.epoch === 4)!;
      const stored = decodeFloat32(last.reconstructions);
      originals.forEach((x, r) => {
        const y = forward(layers, x);
        for (let j = 0; j < 64; j++) expect(Math.abs(y[j] - stored[r * 64 + j])).toBeLessThan(1e-5);
      });
    }
  });

  it('numpy reads the same numbers with a few lines of plain numpy, where /usr/bin/python3 has numpy', () => {
    const run = readdirSync(join(dir, 'weights'))[0];
    const path = join(dir, 'weights', run);
    const ts = loadSafetensors(path);
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
    );
    // Without numpy the TS loader above is the reader; check it agrees with the raw bytes.
    if (!python) {
      const again = decodeSafetensors(readFileSync(path));
      for (const [name, t] of ts.tensors)
        expect(Array.from(again.tensors.get(name)!.data)).toEqual(Array.from(t.data));
      return;
    }
    const script = join(root, 'read.py');
    // The README's pure-numpy fallback, printing every value exactly (float32 → repr of a float).
    writeFileSync(
      script,
      [
        'import json, struct, sys',
        'import numpy as np',
        'with open(sys.argv[1], "rb") as f:',
        '    n = struct.unpack("<Q", f.read(8))[0]',
        '    header = json.loads(f.read(n))',
        '    data = f.read()',
        'dt = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "U8": "u1"}',
        'out = {}',
        'for name, h in header.items():',
        '    if name == "__metadata__": continue',
        '    b, e = h["data_offsets"]',
        '    a = np.frombuffer(data[b:e], dtype=dt[h["dtype"]]).reshape(h["shape"])',
        '    out[name] = {"shape": list(a.shape), "values": a.astype(np.float64).ravel().tolist()}',
        'print(json.dumps({"tensors": out, "metadata": header.get("__metadata__", {})}))',
      ].join('\n'),
    );
    const res = spawnSync(python, [script, path], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const np = JSON.parse(res.stdout) as {
      tensors: Record<string, { shape: number[]; values: number[] }>;
      metadata: Record<string, string>;
    };
    expect(Object.keys(np.tensors)).toEqual([...ts.tensors.keys()]);
    for (const [name, t] of ts.tensors) {
      expect(np.tensors[name].shape).toEqual(t.shape);
      expect(np.tensors[name].values).toEqual(Array.from(t.data));
    }
    expect(np.metadata).toEqual(ts.metadata);
  });

  it('is not part of a run’s identity: the same study without the option reuses the stored runs', async () => {
    const outcome = await runExperiment(
      { ...tinyAutoencoderSpec(dir), initializers: [{ name: 'he-normal' }] },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES],
        progress: 'none',
        workers: 1,
        cacheDir: join(root, 'cache'),
        log: () => {},
      },
    );
    expect(outcome.trained).toEqual([]);
    expect(outcome.skipped).toHaveLength(2);
  });

  it('rejects an unknown format, naming the field', async () => {
    const base = tinyAutoencoderSpec(join(root, 'bad'));
    await expect(
      runExperiment(
        { ...base, outputs: { ...base.outputs, weights: 'npz' } },
        { plugins: [...BUILTIN_PLUGIN_MODULES], progress: 'none', log: () => {} },
      ),
    ).rejects.toThrow(/outputs\.weights/);
  });
});
