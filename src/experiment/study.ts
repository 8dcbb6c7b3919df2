import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../util/files.ts';
import { expandRuns, runConfigHash } from './grid.ts';
import type { PcaReference } from './pca-reference.ts';
import type { DisplaySet, StudyReportInput } from './report.ts';
import { type ExperimentSpec, experimentSpecSchema } from './spec.ts';
import { decodeFloat32, encodeFloat32, type RunResult, RunStore } from './store.ts';

// What a report needs besides the runs is kept next to them, so `nmfinit report` can merge the
// output directories of several shards (machines) without loading any data set again.

export function saveStudyInputs(
  dir: string,
  spec: ExperimentSpec,
  display: ReadonlyMap<string, DisplaySet>,
): void {
  writeFileAtomicSync(join(dir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  for (const [label, set] of display) {
    const stored = {
      imageShape: set.imageShape,
      columnLabels: set.columnLabels,
      originals: set.originals.map(encodeFloat32),
    };
    writeFileAtomicSync(join(dir, 'display', `${label}.json`), `${JSON.stringify(stored)}\n`);
  }
}

/**
 * Reads one or more output directories of the same experiment (e.g. one per shard) into one
 * report input: the spec (which must agree), every run of its grid whose config matches, the
 * PCA references and the display images. The report is written to the first directory.
 */
export function loadStudy(dirs: readonly string[]): StudyReportInput {
  if (dirs.length === 0) throw new Error('report: give at least one output directory');
  let spec: ExperimentSpec | undefined;
  const pca = new Map<string, PcaReference>();
  const display = new Map<string, DisplaySet>();
  const runs = new Map<string, RunResult>();
  for (const d of dirs.map((x) => resolve(x))) {
    const specPath = join(d, 'spec.json');
    if (!existsSync(specPath))
      throw new Error(`report: ${specPath} not found; is '${d}' an experiment output directory?`);
    const parsed = experimentSpecSchema.safeParse(JSON.parse(readFileSync(specPath, 'utf8')));
    if (!parsed.success) throw new Error(`report: ${specPath} is not a valid experiment spec`);
    // Shards differ only in where they wrote (outputs.dir); anything else is another experiment.
    const sameStudy = (a: ExperimentSpec, b: ExperimentSpec) =>
      JSON.stringify({ ...a, outputs: { ...a.outputs, dir: '' } }) ===
      JSON.stringify({ ...b, outputs: { ...b.outputs, dir: '' } });
    if (spec && !sameStudy(parsed.data, spec)) {
      throw new Error(
        `report: ${specPath} describes a different experiment than ${join(resolve(dirs[0]), 'spec.json')}`,
      );
    }
    spec ??= parsed.data;
    for (const f of listJson(join(d, 'pca'))) {
      const ref = JSON.parse(readFileSync(join(d, 'pca', f), 'utf8')) as PcaReference;
      pca.set(`${ref.datasetLabel}__${ref.samples}__${ref.rank}`, ref);
    }
    for (const f of listJson(join(d, 'display'))) {
      const raw = JSON.parse(readFileSync(join(d, 'display', f), 'utf8'));
      display.set(f.slice(0, -5), {
        imageShape: raw.imageShape,
        columnLabels: raw.columnLabels,
        originals: (raw.originals as string[]).map(decodeFloat32),
      });
    }
    for (const r of new RunStore(d).all()) runs.set(r.id, r);
  }
  const s = spec!;
  // Keep the runs of this spec's grid whose stored config is exactly the one it asks for.
  const wanted = new Map(expandRuns(s, '').map((c) => [c.id, c]));
  const matching = [...runs.values()].filter((r) => {
    const expected = wanted.get(r.id);
    return (
      expected !== undefined && r.configHash === runConfigHash({ ...expected, backend: r.config.backend })
    );
  });
  return { dir: resolve(dirs[0]), spec: s, runs: matching, pca: [...pca.values()], display };
}

function listJson(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
}
