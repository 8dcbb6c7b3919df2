import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { RunStore } from '../src/experiment/store.ts';

// The autoencoder study became a study-kind plugin; its numbers must not move. The fixtures are
// stored runs written by the code before that change (test/fixtures/pre-study-kinds), for this spec.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-regression-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fixtures = join(import.meta.dirname, 'fixtures', 'pre-study-kinds');

interface OldRun {
  id: string;
  history: { loss: number[]; valLoss: number[]; initialLoss: number; initialValLoss: number };
  snapshots: { epoch: number; testMse: number; reconstructions: string }[];
}

describe.each(['reference', 'simd'])(
  'the autoencoder study on %s, before and after study kinds',
  (backend) => {
    it('gives the same losses, test MSEs and reconstructions, bit for bit', async () => {
      const dir = join(root, backend);
      await runExperiment(
        {
          name: 'regression',
          datasets: [
            {
              name: 'synthetic',
              label: 'blobs',
              params: { height: 8, width: 8, trainCount: 120, testCount: 20, classes: 3 },
            },
          ],
          model: { sizes: [64, 12, 6, 12, 64] },
          initializers: [{ name: 'glorot-normal' }, { name: 'he-normal' }, { name: 'orthogonal' }],
          training: { batchSize: 32 },
          grid: { samples: [{ count: 100, seeds: 2 }], epochs: [3] },
          backend,
          outputs: { dir },
        },
        {
          plugins: [...BUILTIN_PLUGIN_MODULES],
          progress: 'none',
          workers: 2,
          cacheDir: join(root, 'cache'),
          log: () => {},
        },
      );
      const files = readdirSync(join(fixtures, backend)).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(6);
      const store = new RunStore(dir);
      for (const f of files) {
        const old = JSON.parse(readFileSync(join(fixtures, backend, f), 'utf8')) as OldRun;
        const now = store.read(old.id)?.result as OldRun | undefined;
        expect(now, old.id).toBeDefined();
        expect(now!.history).toEqual(old.history);
        expect(now!.snapshots).toEqual(old.snapshots);
      }
    });
  },
);
