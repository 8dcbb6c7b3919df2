// Importing the user's modules (experiment files, plugin modules given by path): TypeScript files
// load as ES modules wherever they are (ts-esm-hooks.mjs), and a file whose top-level await never
// settles is named when Node gives up on it (exit code 13), instead of the process ending silently.
import * as nodeModule from 'node:module';

let hooksRegistered = false;
const loading = new Set<string>();
let exitHook = false;

/** Registers the TypeScript-as-ESM hooks once per thread (each worker has its own loader chain). */
function registerHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  // module.register exists from Node 20.6; an older runtime imports as before.
  const register = (nodeModule as { register?: (url: URL) => void }).register;
  try {
    register?.(new URL('./ts-esm-hooks.mjs', import.meta.url));
  } catch {
    // a runtime without module hooks imports as before
  }
}

/** Says which files were still loading when the process exits with an unsettled top-level await. */
function watchExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    if (loading.size === 0) return;
    const files = [...loading].join(', ');
    process.stderr.write(
      `nmfinit: ${files} was still loading when Node exited: its top-level await never settled (it waits on a promise that nothing resolves)\n`,
    );
  });
}

/** `import(url)` of a user module (a file URL or a package specifier), as an ES module where it is TypeScript. */
export async function importUserModule(url: string, label = url): Promise<Record<string, unknown>> {
  registerHooks();
  watchExit();
  loading.add(label);
  try {
    return (await import(url)) as Record<string, unknown>;
  } finally {
    loading.delete(label);
  }
}
