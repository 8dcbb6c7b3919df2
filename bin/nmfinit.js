#!/usr/bin/env node
// The nmfinit command. An installed package runs its build (dist/) with plain node; a checkout
// of the repository (src/ beside bin/) runs the sources through tsx, so they never go stale.
import { existsSync, readFileSync } from 'node:fs';

// `--version` alone needs neither tsx nor the sources: answer it from package.json at once.
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  process.exit(0);
}

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  // yargs loads before tsx's hooks are in place, so its ~40 modules skip them (start-up time).
  await Promise.all([import('yargs'), import('yargs/helpers')]);
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
  await import(sources.href);
} else {
  await import('../dist/src/cli/main.js');
}
