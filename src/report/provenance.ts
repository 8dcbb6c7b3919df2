import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { writeFileAtomicSync } from '../util/files.ts';

/** Which nmfinit wrote a result: its version and, in a git checkout, the commit. */
export interface Provenance {
  version: string;
  /** The commit of the nmfinit checkout, null outside one (an installed package). */
  commit: string | null;
  /** Uncommitted changes to tracked files in that checkout: the commit alone does not say what ran. */
  dirty: boolean | null;
}

/** The directory of nmfinit's package.json: found upwards from this module (src/ or dist/src/). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    try {
      if (
        existsSync(file) &&
        (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'nmfinit'
      )
        return dir;
    } catch {
      // An unreadable package.json on the way up is not ours.
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * The provenance of the nmfinit package at `root`: its package.json version and, when `root`
 * is itself a git checkout (a `.git` folder or, in a worktree, file), `git rev-parse HEAD`.
 * Never throws: what cannot be read is 'unknown' (version) or null (commit, dirty).
 */
export function provenanceOf(root: string | null): Provenance {
  let version = 'unknown';
  let commit: string | null = null;
  let dirty: boolean | null = null;
  if (root === null) return { version, commit, dirty };
  try {
    version =
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
      version;
  } catch {
    // keep 'unknown'
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  try {
    // Only this package's own checkout counts, not a repository it happens to sit in.
    if (existsSync(join(root, '.git'))) {
      commit = git('rev-parse', 'HEAD');
      dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    }
  } catch {
    // No git on PATH, or not a repository after all.
    commit = null;
    dirty = null;
  }
  return { version, commit, dirty };
}

/** Provenance as results.json holds it (under `nmfinit`), for kinds whose results schema is strict. */
export const provenanceSchema = z
  .object({ version: z.string(), commit: z.string().nullable(), dirty: z.boolean().nullable() })
  .strict();

let cached: Provenance | undefined;

/** The provenance of the running nmfinit (computed once per process). */
export function nmfinitProvenance(): Provenance {
  cached ??= provenanceOf(packageRoot());
  return cached;
}

/** One line for a report: "nmfinit 0.1.0, commit 0123456789ab (with uncommitted changes)". */
export function provenanceLine(p: Provenance = nmfinitProvenance()): string {
  const commit =
    p.commit === null
      ? 'not from a git checkout'
      : `commit ${p.commit.slice(0, 12)}${p.dirty ? ' (with uncommitted changes)' : ''}`;
  return `nmfinit ${p.version}, ${commit}`;
}

const FOOTER = '## Provenance';

/**
 * Records which nmfinit wrote a report: `results.json` (when it is a JSON object) gains
 * `nmfinit: { version, commit, dirty }` after its `schema` field, and `report.md` ends with a
 * Provenance section (with `exports`, the files the machinery wrote besides the kind's). Run
 * again on the same files it replaces what it wrote before.
 */
export function stampProvenance(
  resultsJson: string,
  reportMd: string,
  exports: readonly string[] = [],
  p: Provenance = nmfinitProvenance(),
): void {
  const results = JSON.parse(readFileSync(resultsJson, 'utf8')) as unknown;
  if (results !== null && typeof results === 'object' && !Array.isArray(results)) {
    const { schema, nmfinit: _, ...rest } = results as Record<string, unknown>;
    const stamped = { ...(schema === undefined ? {} : { schema }), nmfinit: p, ...rest };
    writeFileAtomicSync(resultsJson, `${JSON.stringify(stamped, null, 2)}\n`);
  }
  const md = readFileSync(reportMd, 'utf8');
  const at = md.lastIndexOf(`\n${FOOTER}\n`);
  const body = (at >= 0 ? md.slice(0, at) : md).replace(/\s+$/, '');
  const lines = [FOOTER, '', `Written by ${provenanceLine(p)}.`];
  if (exports.length > 0) lines.push('', 'Also written:', ...exports.map((e) => `- ${e}`));
  writeFileAtomicSync(reportMd, `${body}\n\n${lines.join('\n')}\n`);
}
