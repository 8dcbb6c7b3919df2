import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// test/prerequisites.mjs, which `npm test` runs first: a missing prerequisite is one line on
// stderr and exit 1, before any test runs.
const script = new URL('./prerequisites.mjs', import.meta.url).pathname;
// A PATH with no Slurm on it (the script runs /bin/sh and node by absolute path).
const nodeDir = '/nonexistent';

/** setpriv's path, looked up on the test's own PATH (the script gets one without Slurm). */
function setpriv(): string {
  const r = spawnSync('/bin/sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('this test needs setpriv (util-linux) when it runs as root');
  return r.stdout.trim();
}

function prerequisites(env: NodeJS.ProcessEnv, asNobody = false) {
  // As root, drop to nobody (setpriv, util-linux) to see what a user without root is told.
  const [cmd, args] =
    asNobody && process.getuid?.() === 0
      ? [setpriv(), ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script]]
      : [process.execPath, [script]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

describe('npm test prerequisites', () => {
  it('a missing Chromium fails with one line naming the path and how to install it', () => {
    const r = prerequisites({ NMFINIT_CHROMIUM: '/nonexistent/chromium' });
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /^npm test: missing prerequisites: Chromium at \/nonexistent\/chromium \(apt-get install -y chromium, or set NMFINIT_CHROMIUM/,
    );
  });

  it('without root, missing Slurm daemons are named on the same one line', () => {
    const r = prerequisites({ NMFINIT_CHROMIUM: process.execPath, PATH: nodeDir }, true);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/slurmctld, slurmd, sbatch, munged \(apt-get install -y slurm-wlm munge as root/);
    expect(r.err).not.toMatch(/Chromium/);
  });

  it('passes silently when the browser is there and Slurm is installed or can be (root)', () => {
    const r = prerequisites({ NMFINIT_CHROMIUM: process.execPath, PATH: nodeDir });
    if (process.getuid?.() === 0) {
      expect([r.code, r.err, r.out]).toEqual([0, '', '']);
    } else {
      expect(r.code).toBe(1); // no root and no Slurm on this PATH
    }
  });
});
