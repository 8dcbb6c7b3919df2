// A study kind of your own in one file: the spec schema, the runs, one run, the report. The
// runner, store, shards, resume and progress come with it.
//
//   npx tsx experiments/custom-study-kind.ts
import { join } from 'node:path';
import {
  defineStudyKind,
  runIfMain,
  studies,
  studyOutputsFields,
  studySpecFields,
  writeFileAtomicSync,
  z,
} from 'nmfinit';

const specSchema = z
  .object({
    ...studySpecFields('uniform-means'),
    sizes: z.array(z.number().int().positive()).min(1),
    outputs: z.object(studyOutputsFields).strict(),
  })
  .strict();

/** The mean of n uniform draws per run: close to 1/2, closer for larger n. */
export const uniformMeans = defineStudyKind({
  name: 'uniform-means',
  description: 'the mean of n uniform draws, per n',
  params: specSchema,
  expand: (s, backend) => s.sizes.map((n) => ({ id: `n${n}`, seed: s.firstSeed, backend, n })),
  prepare: async () => null,
  execute: async (run, _data, ctx) => {
    let sum = 0;
    for (let i = 0; i < run.n; i++) sum += ctx.rng.uniform();
    return { mean: sum / run.n };
  },
  result: z.object({ mean: z.number() }),
  resultVersion: 1,
  report: async (input) => {
    const lines = input.runs.map((r) => `| ${r.config.n} | ${r.result.mean.toFixed(4)} |`);
    const reportMd = join(input.dir, 'report.md');
    writeFileAtomicSync(reportMd, ['| n | mean |', '| ---: | ---: |', ...lines, ''].join('\n'));
    const resultsJson = join(input.dir, 'results.json');
    writeFileAtomicSync(resultsJson, JSON.stringify(input.runs.map((r) => r.result)));
    return { reportMd, resultsJson, figures: [] };
  },
});

if (!studies.has(uniformMeans.name)) studies.register(uniformMeans as never);

export const spec = {
  kind: 'uniform-means',
  name: 'uniform-means',
  sizes: [10, 1000, 100000],
  outputs: { dir: 'results/uniform-means' },
};

await runIfMain(import.meta.url, spec);
