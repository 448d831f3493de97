/** One process per resource on a host: an exclusive "host pid" lock file; a dead owner's is taken over. */
import { closeSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Send `signal` (0: none) to process `pid`; false when there is no such process. */
export function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const isAlive = (pid: number): boolean => signalPid(pid, 0);

/** A process's command line (Linux /proc), or null where it cannot be read. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

export type PidLockMessages = {
  /** A live process on this host holds it. */
  busy(pid: number): string;
  /** Another host's process holds it ("host pid"). */
  foreign(owner: string): string;
};

export type PidLock = { release(): void };

/** Take the lock at `path` or throw; `holds` says whether a live pid on this host still owns it. */
export function takePidLock(path: string, messages: PidLockMessages, holds = isAlive): PidLock {
  const me = `${hostname()} ${process.pid}`;
  // An unreadable lock (gone, or half-written) has no owner: stale.
  const readOwner = () => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, me);
      closeSync(fd);
      return {
        release() {
          if (readOwner() === me) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner();
      const [host, pidText] = owner.includes(' ') ? owner.split(' ') : [hostname(), owner];
      const pid = Number(pidText);
      if (host !== hostname()) throw new Error(messages.foreign(owner));
      if (Number.isInteger(pid) && pid !== process.pid && holds(pid)) throw new Error(messages.busy(pid));
      unlinkSync(path);
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
