// A single-node Slurm cluster on localhost for tests: Debian's slurm-wlm and munge (installed
// with apt-get when missing, which needs root, as in CI), a generated slurm.conf, and munged,
// slurmctld and slurmd started here and stopped by `stop()`. Everything lives in one temporary
// directory; the ports are chosen so a system cluster on the default ones is left alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface SlurmCluster {
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm client (sbatch, squeue, scancel, …) against this cluster. */
  run(cmd: string, args: string[]): string;
  /** Waits until none of `jobs` is pending or running. */
  waitForJobs(jobs: string[], timeoutMs: number): Promise<void>;
  stop(): void;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Installs slurm-wlm and munge when they are missing; throws, saying why, when it cannot. */
export function ensureSlurmInstalled(): void {
  if (has('slurmctld') && has('slurmd') && has('sbatch') && has('munged')) return;
  if (process.getuid?.() !== 0)
    throw new Error('the Slurm test needs slurm-wlm and munge: apt-get install slurm-wlm munge (as root)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { env, stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-q', 'slurm-wlm', 'munge'], { env, stdio: 'ignore' });
}

export async function startSlurmCluster(dir: string, cpus = 4): Promise<SlurmCluster> {
  ensureSlurmInstalled();
  const node = hostname().split('.')[0];
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'munge'), 0o700);
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'socket');
  const port = 20000 + (process.pid % 20000);
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=nmfinit-test',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      // No cgroups in a container: track processes by parent id, bind no tasks.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'ReturnToService=2',
      'KillWait=2',
      'MinJobAge=600',
      // The node may declare more CPUs than the machine has, so the three tasks run at once.
      'SlurmdParameters=config_overrides',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: 'utf8' });
  const stop = () => {
    spawnSync('scontrol', ['shutdown'], { env, stdio: 'ignore' });
    spawnSync('munged', ['-s', '-S', socket], { stdio: 'ignore' });
  };
  try {
    run('munged', [
      '--force',
      '-S',
      socket,
      `--key-file=${key}`,
      `--log-file=${join(dir, 'munge', 'log')}`,
      `--pid-file=${join(dir, 'munge', 'pid')}`,
      `--seed-file=${join(dir, 'munge', 'seed')}`,
    ]);
    run('slurmctld', ['-c']);
    run('slurmd', ['-c']);
    // Ready when the node is idle.
    const until = Date.now() + 30_000;
    for (;;) {
      const state = spawnSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' }).stdout?.trim();
      if (state === 'idle') break;
      if (Date.now() > until)
        throw new Error(`the test cluster did not come up (node state '${state}'); logs in ${dir}/log`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } catch (e) {
    stop();
    throw e;
  }
  return {
    env,
    run,
    stop,
    async waitForJobs(jobs, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const q = run('squeue', ['-h', '-o', '%i %t', '-j', jobs.join(',')]).trim();
        if (q === '') return;
        if (Date.now() > until) throw new Error(`jobs still queued after ${timeoutMs} ms:\n${q}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  };
}
