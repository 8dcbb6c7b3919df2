import { checkBackend } from '../backend/index.ts';
import { parseOrThrow } from '../registry/parse.ts';
import { studies } from './kinds.ts';
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
  const name = (raw as { kind?: unknown }).kind ?? DEFAULT_STUDY_KIND;
  try {
    return studies.get(name as string) as unknown as AnyKind;
  } catch (e) {
    throw new ExperimentSpecError(`invalid experiment spec: kind: ${(e as Error).message}`);
  }
}

/**
 * Validates a spec completely before any work: its shape (zod, errors name the path), the kind's
 * own checks (plugins and their parameters, compatibility), and the backend.
 */
export function validateSpec(kind: AnyKind, raw: unknown): BaseStudySpec {
  let spec = parseOrThrow(kind.params, raw, 'invalid experiment spec', { error: ExperimentSpecError });
  try {
    spec = kind.check ? kind.check(spec) : spec;
  } catch (e) {
    throw new ExperimentSpecError(`invalid experiment spec: ${(e as Error).message}`);
  }
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
