// Run first by `npm test`: what the test suite needs from the machine, checked in a second, so
// a missing prerequisite fails with one line instead of after minutes of tests.
// - Chromium (the report.html browser test): /usr/bin/chromium or $NMFINIT_CHROMIUM.
// - slurm-wlm and munge (the Slurm test runs a one-node cluster): installed, or root, in which
//   case the test installs them itself with apt-get (test/helpers/slurm-cluster.ts).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const onPath = (cmd) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`]).status === 0;

const missing = [];
const chromium = process.env.NMFINIT_CHROMIUM ?? '/usr/bin/chromium';
if (!executable(chromium)) {
  missing.push(
    `Chromium at ${chromium} (apt-get install -y chromium, or set NMFINIT_CHROMIUM to a Chromium binary)`,
  );
}
const slurm = ['slurmctld', 'slurmd', 'sbatch', 'munged'].filter((cmd) => !onPath(cmd));
if (slurm.length > 0 && process.getuid?.() !== 0) {
  missing.push(
    `${slurm.join(', ')} (apt-get install -y slurm-wlm munge as root; as root the Slurm test installs them itself)`,
  );
}
if (missing.length > 0) {
  console.error(`npm test: missing prerequisites: ${missing.join('; ')}`);
  process.exit(1);
}
