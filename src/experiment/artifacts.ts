import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import { writeFileAtomicSync } from '../util/files.ts';
import type { StudyArtifacts } from './study-kind.ts';

/** Reads a JSON file, naming the file in any error (missing, unreadable, not JSON). */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  try {
    // A UTF-8 byte-order mark is legal in a file, not in JSON.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads and validates a JSON file; every error names the file and the field. */
export function readJsonAs<T>(path: string, schema: z.ZodType<T>): T {
  return parseOrThrow(schema, readJsonFile(path), path);
}

/** A study's artifacts as JSON files under its output directory, written atomically. */
export function dirArtifacts(dir: string): StudyArtifacts {
  const pathOf = (name: string) => {
    const path = resolve(dir, name);
    if (!path.startsWith(resolve(dir) + sep)) throw new Error(`artifact '${name}' is outside ${dir}`);
    return path;
  };
  return {
    write(name, value) {
      writeFileAtomicSync(pathOf(name), `${JSON.stringify(value)}\n`);
    },
    read(name, schema) {
      return readJsonAs(pathOf(name), schema);
    },
    list(folder) {
      const path = join(dir, folder);
      if (!existsSync(path)) return [];
      return readdirSync(path)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => `${folder}/${f}`);
    },
    exists(name) {
      return existsSync(pathOf(name));
    },
  };
}
