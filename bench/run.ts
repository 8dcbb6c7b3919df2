// Runs every benchmark group (or those named on the command line), prints the figures and
// merges them into bench/results.json, keyed by group, with the machine they were taken on.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchGroup, Figure } from './harness.ts';
import { machineDescription } from './harness.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const resultsPath = `${dir}results.json`;

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const available = files.map((f) => f.replace(/\.bench\.ts$/, ''));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark group(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}

const machine = machineDescription();
console.log(`machine: ${JSON.stringify(machine)}`);

type Stored = { groups: Record<string, { when: string; machine: unknown; figures: Figure[] }> };
let stored: Stored = { groups: {} };
try {
  stored = JSON.parse(readFileSync(resultsPath, 'utf8')) as Stored;
} catch {
  // first run, or an unreadable file: start afresh
}

for (const name of wanted.length > 0 ? wanted : available) {
  const group = (await import(`./${name}.bench.ts`)).default as BenchGroup;
  console.log(`\n## ${group.name}: ${group.description}`);
  const figures = await group.run((line) => console.log(`  ${line}`));
  for (const f of figures) console.log(`  ${f.name}: ${formatValue(f.value)} ${f.unit}`);
  stored.groups[group.name] = { when: new Date().toISOString(), machine, figures };
  // Written after each group, atomically, so an interrupted run keeps what finished.
  writeFileSync(`${resultsPath}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  renameSync(`${resultsPath}.tmp`, resultsPath);
}
console.log(`\nwrote ${resultsPath}`);

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
