// The runs of long studies kept in git (experiments/runs/): a later session or a reader reuses
// them only while today's code expands the study to the same run ids and configuration hashes. A
// change to a run's fields or to the kind's result version would silently retrain them; this
// test fails first.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saeStudy } from '../plugins/studies/sae/index.ts';
import { checkSae, saeSpecSchema } from '../plugins/studies/sae/spec.ts';
import { shallowPcaStudy } from '../plugins/studies/shallow-pca/index.ts';
import { checkShallowPca, shallowPcaSpecSchema } from '../plugins/studies/shallow-pca/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runConfigHash } from '../src/experiment/hash.ts';
import { loadPluginModules } from '../src/experiment/plugins.ts';

const root = join(import.meta.dirname, '..', 'experiments', 'runs');

interface StoredFile {
  kind: string;
  id: string;
  configHash: string;
  result: unknown;
}

const stored = (folder: string): StoredFile[] =>
  readdirSync(join(root, folder, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(root, folder, 'runs', f), 'utf8')) as StoredFile);

/**
 * The stored folders: the part that wrote each, which of its runs the folder keeps (`keeps`; all
 * when absent), and whether it holds every one of those (a study that takes longer than one
 * machine's session is stored as far as it went, and goes on from there).
 */
const FOLDERS: readonly {
  folder: string;
  experiment: keyof typeof EXPERIMENTS;
  part: string;
  keeps?: (run: Record<string, unknown>) => boolean;
  complete: boolean;
}[] = [
  { folder: 'shallow-authors-spiked', experiment: 'shallow-authors', part: 'spiked', complete: true },
  { folder: 'shallow-authors-fashion', experiment: 'shallow-authors', part: 'fashion', complete: true },
  {
    folder: 'shallow-authors-fashion-tied-full',
    experiment: 'shallow-authors',
    part: 'fashion-tied-full',
    complete: true,
  },
  // The SAE's reference part, all 54 runs (trained over several sessions).
  { folder: 'sae-reference-kaux256', experiment: 'sae-reference', part: 'reference', complete: true },
  // Its k_aux 512 part, all 27 runs with AuxK: its runs without AuxK are reference's.
  {
    folder: 'sae-reference-kaux512',
    experiment: 'sae-reference',
    part: 'reference-512',
    keeps: (run) => run.aux === true,
    complete: true,
  },
  // The one-at-a-time ablation's `length` part, all 12 runs (18–25 minutes each, over two sessions).
  { folder: 'sae-ablation-length', experiment: 'sae-reference', part: 'ablation-length', complete: true },
];

/** Each experiment file's parts, expanded as its study kind does on simd (their logs: "backend simd"). */
const EXPERIMENTS = {
  'shallow-authors': async (part: string) => {
    const { parts } = await import('../experiments/shallow-authors.ts');
    const spec = checkShallowPca(shallowPcaSpecSchema.parse(parts[part as keyof typeof parts]));
    return { study: shallowPcaStudy, runs: shallowPcaStudy.expand(spec, 'simd') };
  },
  'sae-reference': async (part: string) => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const spec = checkSae(saeSpecSchema.parse(parts[part as keyof typeof parts]));
    return { study: saeStudy, runs: saeStudy.expand(spec, 'simd') };
  },
} as const;

// The sae kind's spec names its dictionaries and data sets by their registered plugins.
beforeAll(() => loadPluginModules([...BUILTIN_PLUGIN_MODULES]));

describe('stored runs (experiments/runs/)', () => {
  it('covers every folder there is', () => {
    const there = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(there).toEqual(FOLDERS.map((f) => f.folder).sort());
  });

  for (const { folder, experiment, part, keeps = () => true, complete } of FOLDERS)
    it(`${folder}: ${complete ? 'every run of the part it keeps' : 'runs of the part'}, each with the hash today’s code gives it and a result its schema takes`, async () => {
      const { study, runs } = await EXPERIMENTS[experiment](part);
      const files = stored(folder);
      const ids = files.map((f) => f.id).sort();
      const kept = runs.filter((r) => keeps(r as unknown as Record<string, unknown>)).map((r) => r.id);
      if (complete) expect(ids).toEqual(kept.sort());
      else {
        expect(files.length).toBeGreaterThan(0);
        expect(kept).toEqual(expect.arrayContaining(ids));
      }
      for (const f of files) {
        const run = runs.find((r) => r.id === f.id)!;
        expect(f.kind, f.id).toBe(study.name);
        expect(f.configHash, f.id).toBe(runConfigHash(study.name, study.resultVersion, run));
        expect(() => study.result.parse(f.result), f.id).not.toThrow();
      }
    });
});
