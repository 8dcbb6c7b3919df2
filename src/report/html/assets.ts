import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The browser builds of vega, vega-lite and vega-embed, read from node_modules and inlined into
// every report.html, so the page needs no network (it opens from file:// offline).

const require = createRequire(import.meta.url);

/** The UMD build beside a package's main entry (their `exports` hide the build folder itself). */
function browserBuild(pkg: string, file: string): string {
  const path = join(dirname(require.resolve(pkg)), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`report.html: cannot read ${pkg}'s browser build ${path}: ${(e as Error).message}`);
  }
  // No source-map comment (the browser would ask for a file that is not there), and nothing
  // that closes the <script> element early.
  return text.replace(/\/\/# sourceMappingURL=\S+\s*$/, '').replace(/<\/script/gi, '<\\/script');
}

let cached: string | undefined;

/** The three libraries, in load order, as one script. Read once per process. */
export function vegaScripts(): string {
  cached ??= [
    browserBuild('vega', 'vega.min.js'),
    browserBuild('vega-lite', 'vega-lite.min.js'),
    browserBuild('vega-embed', 'vega-embed.min.js'),
  ].join('\n;\n');
  return cached;
}

/** The page's script, a file beside this module (the build copies it to dist: allowJs). */
export function clientScript(): string {
  const url = new URL('./client.js', import.meta.url);
  return readFileSync(url, 'utf8').replace(/<\/script/gi, '<\\/script');
}
