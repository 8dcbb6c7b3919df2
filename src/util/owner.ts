// Who owns a temp or lock file: a process id and the machine it runs on. A file whose owner is
// gone for sure (this machine, a pid that no process has) can be removed; one from another
// machine (a cache on a shared file system) cannot be judged from here and is left alone.
import { hostname } from 'node:os';

/** This machine's name as temp and lock files carry it: only [A-Za-z0-9_-], so it parses back. */
export function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host';
}

/** Whether a process with this id lives on this machine (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the owner is certainly gone: on this machine (or unnamed) and its process has ended. */
export function ownerGone(pid: number, host: string | undefined): boolean {
  return (host === undefined || host === hostTag()) && !processAlive(pid);
}
