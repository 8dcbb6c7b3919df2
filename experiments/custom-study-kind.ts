// A study kind of your own in one file: the spec schema, the runs, one run, the report it
// describes. The runner, store, shards, resume, progress and every report file come with it.
//
//   npx tsx experiments/custom-study-kind.ts
import { defineStudyKind, runIfMain, studies, studyOutputsFields, studySpecFields, z } from 'nmfinit';

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
  // The report as data: nmfinit writes report.md, report.html and results.json from it.
  document: (input) => ({
    title: input.spec.name,
    description: input.spec.description,
    intro: [],
    sections: [
      {
        title: 'Means',
        blocks: [
          {
            type: 'table',
            id: 'means',
            columns: [
              { key: 'n', label: 'n', align: 'right' },
              { key: 'mean', label: 'mean', align: 'right' },
            ],
            rows: input.runs.map((r) => ({
              n: r.config.n,
              mean: { value: r.result.mean, text: r.result.mean.toFixed(4) },
            })),
          },
        ],
      },
    ],
    results: { schema: 'uniform-means/1', means: input.runs.map((r) => ({ n: r.config.n, ...r.result })) },
  }),
});

if (!studies.has(uniformMeans.name)) studies.register(uniformMeans);

export const spec = {
  kind: 'uniform-means',
  name: 'uniform-means',
  sizes: [10, 1000, 100000],
  outputs: { dir: 'results/uniform-means' },
};

await runIfMain(import.meta.url, spec);
