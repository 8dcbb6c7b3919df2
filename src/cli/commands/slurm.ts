// `nmfinit slurm SPEC --shards N`: an sbatch array script whose tasks each run one shard of the
// study, a report job that runs after them all and merges the shards, and submit.sh that
// submits both. Resubmitting after a cancelled or pre-empted task reuses every stored run and
// resumes checkpointed ones, so only the lost work is redone.
import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { applyOverrides } from '../../experiment/run.ts';
import { studyKindOf, validateSpec } from '../../experiment/validate.ts';
import { writeFileAtomicSync } from '../../util/files.ts';
import { PLUGIN_OPTION } from '../plugin-option.ts';
import { loadSpecFile } from '../run-command.ts';

export interface SlurmOptions {
  /** The spec file (JSON or TS experiment), as `nmfinit run` takes it. */
  spec: string;
  shards: number;
  /** Where the shards write: <out>/shard-<i>; the report goes to <out>/shard-1. */
  out: string;
  name: string;
  partition?: string;
  time?: string;
  cpusPerTask: number;
  mem?: string;
  /** Extra flags handed to every `nmfinit run` (e.g. --quick, --cache-dir). */
  runFlags: string[];
  plugins: string[];
  /** The working directory the jobs start in (relative paths in the spec resolve from it). */
  cwd: string;
  /** The node and nmfinit bin the jobs run. */
  node: string;
  bin: string;
}

/** A word for sh: as it is when it has no special character, else single-quoted ('\'' for a quote). */
export const shQuote = (s: string) =>
  /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A value for an `#SBATCH` line, which sbatch (not sh) reads: quotes group, a backslash escapes
 * the next character even inside quotes, and an unquoted `#` starts a comment. So: single-quoted,
 * with backslashes doubled and quotes as '\''.
 */
export const sbatchQuote = (s: string) =>
  /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`)}'`;

/**
 * Refuses a value that cannot be written into a script safely: a control character (a newline
 * ends an `#SBATCH` line, and what follows runs as a command; sbatch stops reading directives).
 */
export function checkScriptValue(field: string, value: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  const m = /[\u0000-\u001f\u007f]/.exec(value);
  if (m)
    throw new RangeError(
      `${field}: ${JSON.stringify(value)} contains a control character (U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${m.index}); ` +
        'a value written into the Slurm scripts may not contain one',
    );
}

/** The three files, by name: shards.sbatch, report.sbatch and submit.sh. */
export function slurmScripts(o: SlurmOptions, scriptDir: string): Record<string, string> {
  if (!Number.isInteger(o.shards) || o.shards < 1)
    throw new RangeError(`--shards takes a positive integer, got ${o.shards}`);
  if (!Number.isInteger(o.cpusPerTask) || o.cpusPerTask < 1)
    throw new RangeError(`--cpus-per-task takes a positive integer, got ${o.cpusPerTask}`);
  // Every value that reaches a script, by the name the user knows it by.
  const values: [string, string | undefined][] = [
    ['the spec file path', o.spec],
    ['outputs.dir (or --out)', o.out],
    ["the spec's name", o.name],
    ['--partition', o.partition],
    ['--time', o.time],
    ['--mem', o.mem],
    ['--script-dir', scriptDir],
    ['the working directory', o.cwd],
    ['the node executable path', o.node],
    ['the nmfinit bin path', o.bin],
    ...o.runFlags.map((f): [string, string] => ['a run flag (--cache-dir, --backend)', f]),
    ...o.plugins.map((p): [string, string] => ['--plugin', p]),
  ];
  for (const [field, value] of values) if (value !== undefined) checkScriptValue(field, value);
  // In --output a backslash turns off sbatch's %a and %j patterns, and % starts one.
  if (scriptDir.includes('\\'))
    throw new RangeError(
      `--script-dir: '${scriptDir}' contains a backslash, which sbatch reads in --output as "no patterns" (the logs would not be per task)`,
    );
  const logPath = (log: string) => `${join(scriptDir, 'logs').replace(/%/g, '%%')}/${log}`;
  const quote = shQuote;
  const header = (job: string, log: string, extra: string[] = []) =>
    [
      '#!/bin/bash',
      `#SBATCH --job-name=${sbatchQuote(`${o.name}-${job}`)}`,
      `#SBATCH --output=${sbatchQuote(logPath(log))}`,
      `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
      ...(o.partition ? [`#SBATCH --partition=${sbatchQuote(o.partition)}`] : []),
      ...(o.time ? [`#SBATCH --time=${sbatchQuote(o.time)}`] : []),
      ...(o.mem ? [`#SBATCH --mem=${sbatchQuote(o.mem)}`] : []),
      ...extra,
      'set -euo pipefail',
      `cd ${quote(o.cwd)}`,
    ].join('\n');
  const plugins = o.plugins.flatMap((p) => ['--plugin', quote(p)]);
  const shardDir = (i: string) => `${quote(o.out)}/shard-${i}`;
  const shards = [
    header('shards', 'shard-%a.log', [`#SBATCH --array=1-${o.shards}`]),
    '# Each array task runs one shard; its finished runs and checkpoints stay in its directory.',
    [
      'exec',
      quote(o.node),
      quote(o.bin),
      'run',
      quote(o.spec),
      '--shard',
      `"\${SLURM_ARRAY_TASK_ID}/${o.shards}"`,
      '--out',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for the batch script
      `${shardDir('"${SLURM_ARRAY_TASK_ID}"')}`,
      '--workers',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for the batch script
      '"${SLURM_CPUS_PER_TASK:-1}"',
      '--progress',
      'plain',
      ...o.runFlags.map(quote),
      ...plugins,
    ].join(' '),
    '',
  ].join('\n');
  const dirs = Array.from({ length: o.shards }, (_, i) => shardDir(String(i + 1)));
  const report = [
    header('report', 'report.log'),
    '# Runs after every shard task ended (however it ended): merges them, naming any missing run.',
    ['exec', quote(o.node), quote(o.bin), 'report', ...dirs, ...plugins].join(' '),
    '',
  ].join('\n');
  const submit = [
    '#!/bin/bash',
    '# Submits the shard array and the report job that waits for it. Run it again after a',
    '# cancelled or failed task: stored runs are reused and checkpointed runs resume.',
    'set -euo pipefail',
    'here="$(cd "$(dirname "$0")" && pwd)"',
    'shards="$(sbatch --parsable "$here/shards.sbatch")"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for the batch script
    'shards="${shards%%;*}"',
    'report="$(sbatch --parsable --dependency=afterany:"$shards" "$here/report.sbatch")"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for the batch script
    'report="${report%%;*}"',
    `echo "shards: job $shards (array 1-${o.shards}); report: job $report, after it; logs in $here/logs"`,
    '',
  ].join('\n');
  return { 'shards.sbatch': shards, 'report.sbatch': report, 'submit.sh': submit };
}

interface SlurmArgs {
  spec: string;
  shards: number;
  partition?: string;
  time?: string;
  'cpus-per-task': number;
  mem?: string;
  out?: string;
  'script-dir'?: string;
  quick: boolean;
  'cache-dir'?: string;
  backend?: string;
  plugin?: string[];
}

export const slurmCommand: CommandModule<object, SlurmArgs> = {
  command: 'slurm <spec>',
  describe: 'write an sbatch array script that runs the study in shards on Slurm, then merges them',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', demandOption: true, describe: 'spec.json or experiment.ts' })
      .option('shards', { type: 'number', demandOption: true, describe: 'array tasks, one shard each' })
      .option('partition', { type: 'string', describe: 'Slurm partition (sbatch --partition)' })
      .option('time', { type: 'string', describe: 'time limit per task (sbatch --time), e.g. 4:00:00' })
      .option('cpus-per-task', { type: 'number', default: 1, describe: 'CPUs (and workers) per task' })
      .option('mem', { type: 'string', describe: 'memory per task (sbatch --mem), e.g. 8G' })
      .option('out', { type: 'string', describe: "output directory (default: the spec's outputs.dir)" })
      .option('script-dir', { type: 'string', describe: 'where the scripts go (default: <out>/slurm)' })
      .option('quick', { type: 'boolean', default: false, describe: 'the quick version of the study' })
      .option('cache-dir', { type: 'string', describe: 'data and NMF cache shared by the tasks' })
      .option('backend', { type: 'string', describe: 'matmul backend of every task' })
      .option('plugin', PLUGIN_OPTION)
      .strict(),
  handler: async (args) => {
    for (const flag of [
      'shards',
      'partition',
      'time',
      'cpus-per-task',
      'mem',
      'out',
      'script-dir',
    ] as const) {
      const v = args[flag] as unknown;
      if (Array.isArray(v)) throw new RangeError(`--${flag} was given ${v.length} times; give it once`);
    }
    const raw = await loadSpecFile(args.spec);
    const kind = studyKindOf(raw);
    // Validated here, so a bad spec fails now, not in every array task.
    const spec = validateSpec(kind, applyOverrides(kind, raw, { quick: args.quick, out: args.out }));
    const out = resolve(spec.outputs.dir);
    const scriptDir = resolve(args['script-dir'] ?? join(out, 'slurm'));
    const files = slurmScripts(
      {
        spec: resolve(args.spec),
        shards: args.shards,
        out,
        name: spec.name,
        partition: args.partition,
        time: args.time,
        cpusPerTask: args['cpus-per-task'],
        mem: args.mem,
        runFlags: [
          ...(args.quick ? ['--quick'] : []),
          ...(args['cache-dir'] ? ['--cache-dir', resolve(args['cache-dir'])] : []),
          ...(args.backend ? ['--backend', args.backend] : []),
        ],
        plugins: args.plugin ?? [],
        cwd: process.cwd(),
        node: process.execPath,
        bin: fileURLToPath(new URL('../../../bin/nmfinit.js', import.meta.url)),
      },
      scriptDir,
    );
    // sbatch does not create the directory of --output: a job with a missing one fails silently.
    mkdirSync(join(scriptDir, 'logs'), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      writeFileAtomicSync(join(scriptDir, name), text);
      chmodSync(join(scriptDir, name), 0o755);
    }
    console.log(
      `wrote ${scriptDir}/{shards.sbatch,report.sbatch,submit.sh}: ${args.shards} shard task(s) into ${out}/shard-<i>, then the report into ${out}/shard-1\nsubmit with: ${join(scriptDir, 'submit.sh')}`,
    );
  },
};
