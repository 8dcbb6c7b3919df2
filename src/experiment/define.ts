/** What every spec has, whatever its kind; the kind's own schema checks the rest when it runs. */
export interface StudySpecInput {
  name: string;
  /** The study kind (default: 'autoencoder-init'). */
  kind?: string;
  outputs: { dir: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** Declares a study of any kind as plain data; the kind's schema validates it when it runs. */
export function defineExperiment<const T extends StudySpecInput>(spec: T): T {
  return spec;
}
