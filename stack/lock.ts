/** The run lock of `npm start`: the supervisor's and its children's pids, so a crashed run can be cleaned. */
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAlive } from '../common/pidlock.ts';

export type LockState = { pid: number; children: Record<string, number> };

function read(path: string): LockState | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockState;
  } catch {
    return null;
  }
}

export type Lock = { update(children: Record<string, number>): void; release(): void };

/** Take the lock at `path` (`AlreadyRunning` if a live supervisor holds it); stale children to `onStale`. */
export function acquireLock(path: string, onStale: (stale: LockState) => void): Lock {
  const state: LockState = { pid: process.pid, children: {} };
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      linkSync(tmp, path); // atomic: fails if the lock exists
      unlinkSync(tmp);
      return {
        update(children) {
          state.children = children;
          writeFileSync(tmp, JSON.stringify(state));
          renameSync(tmp, path);
        },
        release() {
          if (read(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = read(path);
      if (holder && isAlive(holder.pid)) {
        unlinkSync(tmp);
        throw new AlreadyRunning(holder.pid);
      }
      if (holder) onStale(holder);
      rmSync(path, { force: true }); // another starter may have removed it first
    }
  }
  unlinkSync(tmp);
  throw new Error(`could not take the lock ${path}`);
}

export class AlreadyRunning extends Error {
  constructor(readonly pid: number) {
    super(`the stack is already running (supervisor pid ${pid}); stop it with Ctrl-C in its terminal first`);
    this.name = 'AlreadyRunning';
  }
}
