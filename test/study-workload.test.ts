// `backend: auto` is chosen on what the study does: run.ts asks the kind for its workload and
// hands it to the auto choice, which remembers one choice per workload.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autoencoderInitStudy } from '../plugins/studies/autoencoder-init/index.ts';
import { nmfDataStudy } from '../plugins/studies/nmf-data/index.ts';
import { nmfIdentityStudy } from '../plugins/studies/nmf-identity/index.ts';
import { saeStudy } from '../plugins/studies/sae/index.ts';
import { denseTrainingWorkload, nmfMuWorkload, trainingStepWorkload } from '../src/backend/auto.ts';
import type { Workload } from '../src/backend/types.ts';
import { studies } from '../src/experiment/kinds.ts';
import { runExperiment, studyBackendName } from '../src/experiment/run.ts';
import {
  type BaseStudySpec,
  defineStudyKind,
  studyOutputsFields,
  studySpecFields,
} from '../src/experiment/study-kind.ts';
import { z } from '../src/index.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-study-workload-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny: Workload = {
  label: 'fake kind: one 3x5x4 product',
  products: [{ transA: false, transB: false, m: 3, n: 5, k: 4 }],
};

describe('the workload auto is timed on', () => {
  it("is the kind's own: studyBackendName hands the kind's workload for its spec to the chooser", () => {
    const asked: unknown[] = [];
    const kind = {
      workload: (spec: BaseStudySpec) => {
        asked.push(spec);
        return tiny;
      },
    };
    const chosen: [string, Workload | undefined][] = [];
    const choose = (cacheDir: string, w: Workload | undefined) => {
      chosen.push([cacheDir, w]);
      return 'picked';
    };
    const spec = { kind: 'fake', name: 'x', firstSeed: 1, backend: 'auto' } as unknown as BaseStudySpec;
    expect(studyBackendName(kind, spec, '/cache', choose)).toBe('picked');
    expect(asked).toEqual([spec]);
    expect(chosen).toEqual([['/cache', tiny]]);
    // A named backend is used as is: nothing is measured, the workload is not asked for.
    expect(studyBackendName(kind, { ...spec, backend: 'reference' }, '/cache', choose)).toBe('reference');
    expect(asked).toHaveLength(1);
    // A kind without the hook leaves the default to auto.
    expect(studyBackendName({}, spec, '/c', choose)).toBe('picked');
    expect(chosen[1]).toEqual(['/c', undefined]);
  });

  it('reaches the stored auto choice through runExperiment, under the workload label', async () => {
    const calls: string[] = [];
    const fake = defineStudyKind({
      name: 'fake-workload-kind',
      description: 'a kind that records its workload hook',
      params: z
        .object({ ...studySpecFields('fake-workload-kind'), outputs: z.object(studyOutputsFields).strict() })
        .strict(),
      workload: (spec) => {
        calls.push(spec.name);
        return tiny;
      },
      expand: (_spec, backend) => {
        // validateSpec expands with '' to check ids before a backend is chosen
        if (backend !== '') calls.push(`expand on ${backend}`);
        return [];
      },
      prepare: async () => null,
      execute: async () => null,
      result: z.null(),
      resultVersion: 1,
      report: async (input) => {
        const reportMd = join(input.dir, 'report.md');
        const resultsJson = join(input.dir, 'results.json');
        writeFileSync(reportMd, '# fake\n');
        writeFileSync(resultsJson, '[]\n');
        return { reportMd, resultsJson, figures: [] };
      },
    });
    studies.register(fake as never);
    const cacheDir = join(root, 'cache');
    await runExperiment(
      { kind: 'fake-workload-kind', name: 'w', backend: 'auto', outputs: { dir: join(root, 'out') } },
      { cacheDir, workers: 1, progress: 'none', log: () => {} },
    );
    expect(calls[0]).toBe('w');
    const file = JSON.parse(readFileSync(join(cacheDir, 'auto-backend.json'), 'utf8'));
    expect(Object.keys(file.workloads)).toEqual([tiny.label]);
    expect(calls[1]).toBe(`expand on ${file.workloads[tiny.label].chosen}`);
    expect(existsSync(join(root, 'out', 'report.md'))).toBe(true);
  }, 60_000);

  it('of each built-in kind is its model or its NMF products', () => {
    // The hooks read only the fields below; the rest of each spec plays no part.
    const aeSpec = (training: object, recipes?: object[]) =>
      ({
        model: { sizes: [784, 100, 784], hidden: 'relu', output: 'sigmoid' },
        training: { batchSize: 32, loss: 'mse', optimizer: { name: 'adam' }, ...training },
        grid: { recipes: recipes?.map((t, i) => ({ label: `r${i}`, training: t })) },
      }) as never;
    // Trained as fit()'s device trainer does: the model goes with the products.
    const dense = autoencoderInitStudy.workload?.(aeSpec({}));
    expect(dense).toEqual(denseTrainingWorkload([784, 100, 784], 32, 'relu', 'sigmoid'));
    expect(dense?.products).toEqual(trainingStepWorkload([784, 100, 784], 32).products);
    expect(dense?.model?.layers).toEqual([
      { units: 100, activation: 'relu' },
      { units: 784, activation: 'sigmoid' },
    ]);
    expect(autoencoderInitStudy.workload?.(aeSpec({}, [{}, { batchSize: 8 }]))).toEqual(dense);
    // Any run on the Tape (another loss or optimizer, rate multipliers, in the base or a recipe):
    // the bare products.
    const bare = trainingStepWorkload([784, 100, 784], 32);
    expect(autoencoderInitStudy.workload?.(aeSpec({ loss: 'bce' }))).toEqual(bare);
    expect(autoencoderInitStudy.workload?.(aeSpec({ optimizer: { name: 'sgd' } }))).toEqual(bare);
    expect(autoencoderInitStudy.workload?.(aeSpec({ parameterGroups: [{ layers: [0] }] }))).toEqual(bare);
    expect(autoencoderInitStudy.workload?.(aeSpec({}, [{}, { optimizer: { name: 'sgd' } }]))).toEqual(bare);
    expect(autoencoderInitStudy.workload?.(aeSpec({}, [{ parameterGroups: [{ layers: [0] }] }]))).toEqual(
      bare,
    );

    const nmfData = {
      grids: [
        { samples: [500, 2000], ranks: [16, 49] },
        { samples: ['all'], ranks: [9] },
      ],
    } as never;
    expect(nmfDataStudy.workload?.(nmfData)).toEqual(nmfMuWorkload(4096, 784, 49));
    const small = { grids: [{ samples: [300], ranks: [8] }] } as never;
    expect(nmfDataStudy.workload?.(small)).toEqual(nmfMuWorkload(300, 784, 8));

    const ident = { sizes: [8, 64], ranks: [4, 16, 100] } as never;
    expect(nmfIdentityStudy.workload?.(ident)).toEqual(nmfMuWorkload(64, 64, 16));

    const sae = { datasets: [{ latents: [2048] }, {}], latents: [512], batchSize: 64 } as never;
    expect(saeStudy.workload?.(sae)).toEqual(trainingStepWorkload([784, 2048, 784], 64));
  });
});
