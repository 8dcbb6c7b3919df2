import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importUserModule } from './module-import.ts';

/**
 * Imports plugin modules, each of which registers its plugins on import: file paths, file URLs
 * or package specifiers (`nmfinit/plugins`). Called in the main thread and, with the same list,
 * in every worker. Which modules hold the built-ins is the caller's knowledge (the CLI's).
 */
export async function loadPluginModules(modules: readonly string[]): Promise<void> {
  for (const m of modules) {
    try {
      await importUserModule(moduleUrl(m), m);
    } catch (e) {
      throw new Error(`cannot load plugin module '${m}': ${(e as Error).message}`);
    }
  }
}

/** A file URL for paths (relative ones from the working directory); package specifiers as they are. */
function moduleUrl(m: string): string {
  if (m.startsWith('file:')) return m;
  if (isAbsolute(m) || m.startsWith('.') || existsSync(resolve(m))) return pathToFileURL(resolve(m)).href;
  return m;
}
