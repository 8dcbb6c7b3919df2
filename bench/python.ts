import { spawnSync } from 'node:child_process';

// Benchmarks that name a Python peer (PyTorch, scikit-learn) run it on the same machine when it
// is installed. `python3` on PATH may be another interpreter (pyenv) than the one Debian's
// python3-torch and python3-sklearn install into, so both are tried.
const CANDIDATES = ['python3', '/usr/bin/python3'];

const found = new Map<string, string | null>();

/** The first Python interpreter that can import every module named, or null when none can. */
export function pythonWith(...modules: string[]): string | null {
  const key = modules.join(',');
  if (!found.has(key)) {
    const probe = modules.map((m) => `import ${m}`).join('; ');
    const python = CANDIDATES.find((p) => spawnSync(p, ['-c', probe], { stdio: 'ignore' }).status === 0);
    found.set(key, python ?? null);
  }
  return found.get(key) ?? null;
}
