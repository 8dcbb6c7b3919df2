import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports the built-in plugins and the given plugin modules (paths or file URLs), each of which
 * registers its plugins on import. Called in the main thread and in every worker.
 */
export async function loadPluginModules(modules: readonly string[]): Promise<void> {
  await import('../../plugins/index.ts');
  for (const m of modules) {
    const url = m.startsWith('file:') ? m : pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
    try {
      await import(url);
    } catch (e) {
      throw new Error(`cannot load plugin module '${m}': ${(e as Error).message}`);
    }
  }
}
