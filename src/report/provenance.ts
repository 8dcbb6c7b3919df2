import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which nmfinit wrote a result: its version and, in a git checkout, the commit. */
export interface Provenance {
  version: string;
  /** The commit of the nmfinit checkout, null outside one (an installed package). */
  commit: string | null;
  /** Uncommitted changes to tracked files in that checkout: the commit alone does not say what ran. */
  dirty: boolean | null;
}

/** The directory of nmfinit's package.json: found upwards from this module (src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'nmfinit')
      return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`nmfinit's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

let cached: Provenance | undefined;

export function nmfinitProvenance(): Provenance {
  if (cached) return cached;
  const root = packageRoot();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  let commit: string | null = null;
  let dirty: boolean | null = null;
  try {
    // Only this package's own checkout counts, not a repository it happens to sit in.
    if (existsSync(join(root, '.git'))) {
      commit = git('rev-parse', 'HEAD');
      dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    }
  } catch {
    commit = null;
    dirty = null;
  }
  cached = { version, commit, dirty };
  return cached;
}
