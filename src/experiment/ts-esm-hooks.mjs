// Module hooks (node:module register) for experiment files and plugin modules given by path: a
// TypeScript file that no "type" field claims (one in /tmp, in a folder without a package.json)
// loads as an ES module, as the same file inside this repository (a "type": "module" package)
// does, instead of as CommonJS (where `export` and top-level await fail). Registered after tsx,
// so this resolve runs first, asks tsx, and corrects only the format; tsx then compiles it as ESM.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPESCRIPT = /\.(ts|tsx|mts)$/;

/** The "type" of the nearest package.json above `file`, or undefined when none says. */
function packageType(file) {
  let dir = dirname(file);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type;
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith('file:')) return resolved;
  const path = fileURLToPath(resolved.url);
  if (!TYPESCRIPT.test(path) || path.includes('/node_modules/')) return resolved;
  if (resolved.format === 'module' || resolved.format === 'module-typescript') return resolved;
  if (packageType(path) === 'commonjs') return resolved;
  return { ...resolved, format: 'module' };
}
