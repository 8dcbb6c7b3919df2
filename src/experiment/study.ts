import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirArtifacts, readJsonFile } from './artifacts.ts';
import { writeStudyExports } from './exports.ts';
import { runConfigHash } from './hash.ts';
import { writeDocumentReport } from './report-files.ts';
import { RunStore, type UnreadableRun } from './store.ts';
import type {
  BaseStudySpec,
  FailedRun,
  StoredRun,
  StudyReportFiles,
  StudyReportInput,
  StudyRun,
} from './study-kind.ts';
import { type AnyKind, studyKindOf, validateSpec } from './validate.ts';

/** Everything a report is drawn from, gathered from one or more output directories. */
export interface LoadedStudy {
  kind: AnyKind;
  input: StudyReportInput<BaseStudySpec, StudyRun, unknown>;
  /** Run files that could not be read, or whose config no longer matches the spec's grid. */
  unreadable: UnreadableRun[];
}

/**
 * Reads one or more output directories of the same study (e.g. one per shard) into one report
 * input: the spec (which must agree), every run of its grid whose stored config matches, the
 * runs that are missing, and the failure records. The report is written to the first directory.
 */
export function loadStudy(dirs: readonly string[]): LoadedStudy {
  if (dirs.length === 0) throw new Error('report: give at least one output directory');
  let spec: BaseStudySpec | undefined;
  let kind: AnyKind | undefined;
  let specSource = '';
  const runs = new Map<string, StoredRun>();
  const failures = new Map<string, FailedRun>();
  const unreadable: UnreadableRun[] = [];
  for (const d of dirs.map((x) => resolve(x))) {
    const specPath = join(d, 'spec.json');
    if (!existsSync(specPath))
      throw new Error(`report: ${specPath} not found; is '${d}' an experiment output directory?`);
    const raw = readJsonFile(specPath);
    const k = studyKindOf(raw);
    let parsed: BaseStudySpec;
    try {
      parsed = validateSpec(k, raw);
    } catch (e) {
      throw new Error(`report: ${specPath}: ${(e as Error).message}`);
    }
    // Shards differ only in where they wrote (outputs.dir); anything else is another study.
    const sameStudy = (a: BaseStudySpec, b: BaseStudySpec) =>
      JSON.stringify({ ...a, outputs: { ...a.outputs, dir: '' } }) ===
      JSON.stringify({ ...b, outputs: { ...b.outputs, dir: '' } });
    if (spec && !sameStudy(parsed, spec)) {
      throw new Error(`report: ${specPath} describes a different experiment than ${specSource}`);
    }
    spec ??= parsed;
    kind ??= k;
    specSource ||= specPath;
    const store = new RunStore(d);
    const found = store.all();
    unreadable.push(...found.unreadable);
    for (const r of found.runs) runs.set(r.id, r);
    for (const f of store.failures()) failures.set(f.id, { config: f.config, error: f.error });
  }
  const k = kind!;
  const s = spec!;
  // Keep the runs of this spec's grid whose stored config is exactly the one it asks for
  // (any backend: a report may merge shards that ran on different machines).
  const wanted = new Map(k.expand(s, '').map((c) => [c.id, c]));
  const matching: StoredRun[] = [];
  for (const r of runs.values()) {
    const expected = wanted.get(r.id);
    if (!expected) continue;
    const hash = runConfigHash(k.name, k.resultVersion, { ...expected, backend: r.config.backend });
    if (r.configHash !== hash) {
      unreadable.push({ file: r.id, reason: 'made with another configuration than the spec asks for' });
      continue;
    }
    try {
      matching.push({ ...r, result: k.result.parse(r.result) });
    } catch (e) {
      unreadable.push({ file: r.id, reason: `result does not match its schema: ${(e as Error).message}` });
    }
  }
  const have = new Set(matching.map((r) => r.id));
  const missing = [...wanted.values()].filter((c) => !have.has(c.id));
  const failed = missing.flatMap((c) => {
    const f = failures.get(c.id);
    return f ? [f] : [];
  });
  return {
    kind: k,
    input: {
      dir: resolve(dirs[0]),
      spec: s,
      runs: matching.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      missing,
      failed,
      artifacts: dirArtifacts(resolve(dirs[0])),
    },
    unreadable,
  };
}

export class PartialReportError extends Error {
  override name = 'PartialReportError';
}

/**
 * Writes a study's report from what `loadStudy` gathered. A report with missing runs is refused
 * (it would quote n seeds it does not have) unless `allowPartial`; the kind's report then names
 * the missing and failed runs, and computes n from what it has. Then metrics.csv (and TensorBoard
 * events) from the kind's `metrics`, and nmfinit's version and commit in results.json and report.md.
 */
export async function writeReport(
  study: LoadedStudy,
  options: { log?: (m: string) => void; allowPartial?: boolean } = {},
): Promise<StudyReportFiles> {
  const log = options.log ?? ((m: string) => console.log(m));
  const { missing, failed } = study.input;
  for (const u of study.unreadable) log(`warning: skipped ${u.file}: ${u.reason}`);
  if (missing.length > 0) {
    const text = `${missing.length} run(s) of the grid are missing (${failed.length} failed), e.g. ${missing[0].id}`;
    if (!options.allowPartial)
      throw new PartialReportError(
        `report: ${text}; pass --partial to write a report from the runs there are`,
      );
    log(`warning: ${text}; the report says so`);
  }
  const { kind, input } = study;
  if (kind.document) return writeDocumentReport(kind, input, await kind.document(input, { log }));
  if (!kind.report) throw new Error(`report: the study kind '${kind.name}' has neither document nor report`);
  return writeStudyExports(kind, input, await kind.report(input, { log }));
}
