/**
 * The durable local spool: undelivered batches wait here in order, one file each, written atomically (temp file,
 * fsync, rename, fsync of the folder); names sort in queue order. One folder per channel, one poller per spool.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { projectPath, type Config } from '../common/config.ts';
import { takePidLock } from '../common/pidlock.ts';

export type SpoolChannel = 'archive' | 'store';
export type SpoolStats = { channel: SpoolChannel; files: number; bytes: number };

export type Spool = {
  /** Durably store one batch at the end of `channel`'s queue; its file name. Throws `SpoolFull` past the bound. */
  append(channel: SpoolChannel, payload: string): string;
  /** The queued batches of `channel`, oldest first. */
  list(channel: SpoolChannel): string[];
  read(channel: SpoolChannel, file: string): Promise<string>;
  remove(channel: SpoolChannel, file: string): void;
  /** Take a batch out of the queue, kept beside it for a human: `<file>.damaged` or `<file>.refused`. */
  setAside(channel: SpoolChannel, file: string, why?: 'damaged' | 'refused'): void;
  stats(): { channels: SpoolStats[]; bytes: number; maxBytes: number; full: boolean };
  close(): void;
};

export class SpoolFull extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`spool is full (${bytes} of ${maxBytes} bytes)`);
    this.name = 'SpoolFull';
  }
}

const CHANNELS: SpoolChannel[] = ['archive', 'store'];
/** A queued batch's file name: wall-clock stamp and sequence number, zero-padded so names sort in order. */
const NAME = /^(\d{15})-(\d{9})\.json$/;

/** The folder holding every poller's spool: SPOOL_DIR, or STACK_DIR/spool. */
export function spoolBase(config: Pick<Config, 'SPOOL_DIR' | 'STACK_DIR'>): string {
  return projectPath(config.SPOOL_DIR || join(config.STACK_DIR, 'spool'));
}

/** The spool folder of the poller named POLLER_ID. */
export function spoolDir(config: Pick<Config, 'SPOOL_DIR' | 'STACK_DIR' | 'POLLER_ID'>): string {
  return resolve(spoolBase(config), config.POLLER_ID);
}

/** Open (creating) the spool under `dir`, taking its lock; throws when another live process holds it. */
export function makeSpool(opts: { dir: string; maxBytes: number }): Spool {
  const { dir, maxBytes } = opts;
  const sizes = new Map<string, number>(); // known after one scan: the bound is checked without listing folders
  /** A channel's folder; made again, its lost queue forgotten, if it was removed under a running poller. */
  const folderOf = (c: SpoolChannel) => {
    if (mkdirSync(join(dir, c), { recursive: true }))
      for (const k of sizes.keys()) if (k.startsWith(`${c}/`)) sizes.delete(k);
    return join(dir, c);
  };
  for (const c of CHANNELS) folderOf(c);
  const lockPath = join(dir, 'owner.pid');
  const lock = takePidLock(lockPath, {
    busy: (pid) => `spool ${lockPath} is in use by process ${pid}: give each poller its own POLLER_ID`,
    foreign: (owner) => `spool ${lockPath} is locked by ${owner} on another host: not taken over from here`,
  });
  // Names sort in queue order: a stamp that never goes back (the wall clock can), then a sequence number.
  let stamp = 0;
  let seq = 0;
  for (const c of CHANNELS) {
    for (const f of readdirSync(join(dir, c))) {
      if (f.endsWith('.tmp')) {
        unlinkSync(join(dir, c, f)); // a batch a crash left half-written was never queued
        continue;
      }
      if (!f.endsWith('.json')) continue; // set aside: out of the queue, and not counted against the bound
      sizes.set(`${c}/${f}`, statSync(join(dir, c, f)).size);
      const m = NAME.exec(f);
      if (m && (Number(m[1]) > stamp || (Number(m[1]) === stamp && Number(m[2]) >= seq))) {
        stamp = Number(m[1]);
        seq = Number(m[2]) + 1;
      }
    }
  }
  const total = () => [...sizes.values()].reduce((a, b) => a + b, 0);

  return {
    append(channel, payload) {
      const bytes = Buffer.byteLength(payload);
      const used = total();
      if (used + bytes > maxBytes) throw new SpoolFull(used, maxBytes);
      const now = Date.now();
      if (now > stamp) [stamp, seq] = [now, 0];
      const name = `${String(stamp).padStart(15, '0')}-${String(seq++).padStart(9, '0')}.json`;
      const folder = folderOf(channel);
      const tmp = join(folder, `${name}.tmp`);
      withFd(tmp, 'wx', (fd) => {
        writeFileSync(fd, payload); // all of it, or a throw: a full disk writes short
        fsyncSync(fd);
      });
      renameSync(tmp, join(folder, name));
      syncDir(folder);
      sizes.set(`${channel}/${name}`, bytes);
      return name;
    },
    list: (channel) =>
      readdirSync(folderOf(channel))
        .filter((f) => f.endsWith('.json'))
        .sort(),
    read: (channel, file) => readFile(join(dir, channel, file), 'utf8'),
    remove(channel, file) {
      unlinkSync(join(dir, channel, file));
      syncDir(join(dir, channel));
      sizes.delete(`${channel}/${file}`);
    },
    setAside(channel, file, why = 'damaged') {
      renameSync(join(dir, channel, file), join(dir, channel, `${file}.${why}`));
      syncDir(join(dir, channel));
      sizes.delete(`${channel}/${file}`);
    },
    stats() {
      const channels = CHANNELS.map((channel) => {
        const mine = [...sizes.entries()].filter(([k]) => k.startsWith(`${channel}/`));
        return { channel, files: mine.length, bytes: mine.reduce((a, [, v]) => a + v, 0) };
      });
      const bytes = total();
      return { channels, bytes, maxBytes, full: bytes >= maxBytes * 0.9 };
    },
    close: () => lock.release(),
  };
}

function withFd(path: string, flags: string, use: (fd: number) => void): void {
  const fd = openSync(path, flags);
  try {
    use(fd);
  } finally {
    closeSync(fd);
  }
}
const syncDir = (path: string) => withFd(path, 'r', fsyncSync);
