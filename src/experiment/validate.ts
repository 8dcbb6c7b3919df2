import { checkBackend } from '../backend/index.ts';
import { parseOrThrow } from '../registry/parse.ts';
import { studies } from './kinds.ts';
import { gridTooLarge, MAX_SPEC_DEPTH, oversizedBuffers, repeatedId, tooDeep } from './limits.ts';
import { type BaseStudySpec, DEFAULT_STUDY_KIND, type StudyKind, type StudyRun } from './study-kind.ts';

export class ExperimentSpecError extends Error {
  override name = 'ExperimentSpecError';
}

export type AnyKind = StudyKind<BaseStudySpec, StudyRun, unknown, unknown>;

/** The study kind a raw spec names (none: the autoencoder study), with a named error for an unknown one. */
export function studyKindOf(raw: unknown): AnyKind {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ExperimentSpecError(`invalid experiment spec: expected an object, got ${JSON.stringify(raw)}`);
  }
  checkDepth(raw);
  const name = (raw as { kind?: unknown }).kind ?? DEFAULT_STUDY_KIND;
  try {
    return studies.get(name as string) as unknown as AnyKind;
  } catch (e) {
    throw new ExperimentSpecError(`invalid experiment spec: kind: ${(e as Error).message}`);
  }
}

/** Refuses a spec nested deeper than MAX_SPEC_DEPTH, before anything recurses into it (structuredClone, zod). */
function checkDepth(raw: unknown): void {
  const path = tooDeep(raw);
  if (path !== undefined)
    throw new ExperimentSpecError(
      `invalid experiment spec: ${path}: nested deeper than ${MAX_SPEC_DEPTH} levels; a spec is plain data a few levels deep`,
    );
}

/**
 * Validates a spec completely before any work: its depth, its shape (zod, errors name the path),
 * the size of its grid (before anything expands it), the kind's own checks (plugins and their
 * parameters, compatibility), the size of the buffers its runs allocate, that no two runs share
 * an id, and the backend.
 */
export function validateSpec(kind: AnyKind, raw: unknown): BaseStudySpec {
  checkDepth(raw);
  let spec = parseOrThrow(kind.params, raw, 'invalid experiment spec', { error: ExperimentSpecError });
  const tooLarge = kind.gridAxes ? gridTooLarge(kind.gridAxes(spec)) : undefined;
  if (tooLarge) throw new ExperimentSpecError(`invalid experiment spec: ${tooLarge}`);
  try {
    spec = kind.check ? kind.check(spec) : spec;
  } catch (e) {
    throw new ExperimentSpecError(`invalid experiment spec: ${(e as Error).message}`);
  }
  const oversized = oversizedBuffers(kind.buffers?.(spec) ?? []);
  if (oversized.length > 0) throw new ExperimentSpecError(`invalid experiment spec: ${oversized.join('; ')}`);
  // Labels and grid values become run ids: two runs with one id would overwrite each other.
  const repeated = repeatedId(kind.expand(spec, ''));
  if (repeated !== undefined)
    throw new ExperimentSpecError(
      `invalid experiment spec: two runs of the grid have the id '${repeated}': a label or a grid value is repeated; give each entry its own`,
    );
  if (spec.outputs.tensorboard === true && !kind.metrics)
    throw new ExperimentSpecError(
      `invalid experiment spec: outputs.tensorboard: study kind '${kind.name}' records no per-epoch numbers to write; remove the option`,
    );
  try {
    // Checked, not created: creating builds kernels, cached in a directory not known here.
    checkBackend(spec.backend);
  } catch (e) {
    throw new ExperimentSpecError(`invalid experiment spec: backend: ${(e as Error).message}`);
  }
  return spec;
}
