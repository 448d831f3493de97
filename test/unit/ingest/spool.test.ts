import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpool, SpoolFull, type Spool } from '../../../ingest/spool.ts';

const dirs: string[] = [];
const open: Spool[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spool-unit-'));
  dirs.push(d);
  return d;
}
function spoolAt(dir: string, maxBytes = 1_000_000): Spool {
  const s = makeSpool({ dir, maxBytes });
  open.push(s);
  return s;
}
const readAll = async (s: Spool, channel: 'archive' | 'store') =>
  Promise.all(s.list(channel).map((f) => s.read(channel, f)));

describe('spool', () => {
  it('lists batches in the order they were appended, per channel', async () => {
    const s = spoolAt(freshDir());
    for (let i = 0; i < 30; i++) s.append(i % 3 === 0 ? 'store' : 'archive', `batch ${i}`);
    expect(await readAll(s, 'store')).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map((i) => `batch ${i}`));
    expect((await readAll(s, 'archive')).length).toBe(20);
    expect(await readAll(s, 'archive')).toEqual(
      Array.from({ length: 30 }, (_, i) => i)
        .filter((i) => i % 3 !== 0)
        .map((i) => `batch ${i}`),
    );
  });

  it('keeps its batches across a re-open, and appends after them', async () => {
    const dir = freshDir();
    const a = spoolAt(dir);
    a.append('store', '{"n":1}');
    a.append('store', '{"n":2}');
    a.close();
    const b = spoolAt(dir);
    expect(await readAll(b, 'store')).toEqual(['{"n":1}', '{"n":2}']);
    expect(b.stats().channels).toEqual([
      { channel: 'archive', files: 0, bytes: 0 },
      { channel: 'store', files: 2, bytes: 14 },
    ]);
    b.append('store', '{"n":3}');
    expect(await readAll(b, 'store')).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it('keeps order across a re-open even when the clock went back since the last batch', async () => {
    const dir = freshDir();
    spoolAt(dir).close();
    // A batch left by a run whose clock was ahead (NTP stepped it back since).
    const ahead = Date.now() + 3_600_000;
    writeFileSync(join(dir, 'store', `${String(ahead).padStart(15, '0')}-000000007.json`), 'old');
    const s = spoolAt(dir);
    s.append('store', 'new 1');
    s.append('store', 'new 2');
    expect(await readAll(s, 'store')).toEqual(['old', 'new 1', 'new 2']);
  });

  it('removes a batch', async () => {
    const s = spoolAt(freshDir());
    s.append('archive', 'a');
    s.append('archive', 'b');
    s.remove('archive', s.list('archive')[0]!);
    expect(await readAll(s, 'archive')).toEqual(['b']);
    expect(s.stats().bytes).toBe(1);
  });

  it('sets a damaged or refused batch aside: out of the queue and the bound, kept on disk, also after a re-open', () => {
    const dir = freshDir();
    const s = spoolAt(dir, 100);
    s.append('store', 'x'.repeat(60));
    const refused = s.append('store', 'y'.repeat(30));
    s.append('store', 'ok');
    const [bad, , good] = s.list('store');
    s.setAside('store', bad!);
    s.setAside('store', refused, 'refused');
    expect(s.list('store')).toEqual([good]);
    expect(s.stats().bytes).toBe(2);
    s.close();
    const again = spoolAt(dir, 100);
    expect(again.list('store')).toEqual([good]);
    expect(again.stats().bytes).toBe(2);
    expect(readdirSync(join(dir, 'store')).sort()).toEqual(
      [`${bad}.damaged`, `${refused}.refused`, good].sort(),
    );
  });

  it('deletes half-written temp files on open: they were never queued', () => {
    const dir = freshDir();
    const a = spoolAt(dir);
    a.append('archive', 'whole');
    a.close();
    writeFileSync(join(dir, 'archive', '000001700000000-000000001.json.tmp'), 'half');
    writeFileSync(join(dir, 'store', '000001700000000-000000002.json.tmp'), 'half');
    const b = spoolAt(dir);
    expect(readdirSync(join(dir, 'archive')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'store'))).toEqual([]);
    expect(b.list('archive')).toHaveLength(1);
    expect(b.stats().bytes).toBe(5);
  });

  it('throws rather than queue a batch the disk took only part of (a full disk writes short)', () => {
    const dir = freshDir();
    // A 64 KiB file-size limit makes a write short, then fail, as a full disk does; its signal is ignored.
    const script = `import(${JSON.stringify(new URL('../../../ingest/spool.ts', import.meta.url).href)}).then(({ makeSpool }) => {
      const s = makeSpool({ dir: ${JSON.stringify(dir)}, maxBytes: 1e9 });
      try { process.stdout.write('queued ' + s.append('archive', 'x'.repeat(200000))); }
      catch (err) { process.stdout.write('threw ' + err.code); }
      s.close();
    })`;
    const run = spawnSync(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f 64; exec "$0" --import tsx -e "$1"`, process.execPath, script],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('threw EFBIG');
    expect(spoolAt(dir).list('archive')).toEqual([]);
  });

  it('refuses a batch past its size bound with SpoolFull, and says when it is near the bound', () => {
    const dir = freshDir();
    const s = spoolAt(dir, 1_000);
    s.append('archive', 'x'.repeat(600));
    expect(s.stats()).toMatchObject({ bytes: 600, maxBytes: 1_000, full: false });
    let err: unknown;
    try {
      s.append('store', 'y'.repeat(401));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpoolFull);
    expect(err).toMatchObject({ bytes: 600, maxBytes: 1_000 });
    expect(s.list('store')).toEqual([]);
    s.append('store', 'y'.repeat(300));
    expect(s.stats()).toMatchObject({ bytes: 900, full: true }); // 90 % of the bound
    s.append('store', 'z'.repeat(100)); // exactly at the bound still fits
    expect(() => s.append('store', 'w')).toThrow(SpoolFull);
    s.close();
    // The bound counts what is on disk after a re-open too.
    const again = spoolAt(dir, 1_000);
    expect(again.stats().bytes).toBe(1_000);
    expect(() => again.append('archive', 'w')).toThrow(SpoolFull);
  });

  it('makes a channel folder removed under it again, and forgets the batches that went with it', async () => {
    const dir = freshDir();
    const s = spoolAt(dir, 1_000);
    s.append('archive', 'x'.repeat(600));
    s.append('store', 'kept');
    rmSync(join(dir, 'archive'), { recursive: true });
    expect(s.list('archive')).toEqual([]);
    // The removed batch no longer counts against the bound: a 900-byte batch still fits.
    const name = s.append('archive', 'y'.repeat(900));
    expect(s.list('archive')).toEqual([name]);
    expect(await readAll(s, 'store')).toEqual(['kept']);
    expect(s.stats()).toMatchObject({ bytes: 904, full: true });
  });

  it('counts bytes, not characters', () => {
    const s = spoolAt(freshDir(), 10);
    expect(() => s.append('store', '€€€€')).toThrow(SpoolFull); // 12 bytes
  });
});

describe('spool lock', () => {
  it('refuses a second owner that is alive', () => {
    const dir = freshDir();
    spoolAt(dir).close();
    writeFileSync(join(dir, 'owner.pid'), String(process.ppid));
    expect(() => makeSpool({ dir, maxBytes: 1_000 })).toThrow(`in use by process ${process.ppid}`);
  });

  it('takes over from an owner that is gone', async () => {
    const dir = freshDir();
    const a = spoolAt(dir);
    a.append('store', 'left behind');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const pid = Number(gone.stdout);
    expect(pid).toBeGreaterThan(0);
    writeFileSync(join(dir, 'owner.pid'), String(pid)); // as a crashed poller leaves it
    const b = spoolAt(dir);
    expect(await readAll(b, 'store')).toEqual(['left behind']);
    expect(readFileSync(join(dir, 'owner.pid'), 'utf8')).toBe(`${hostname()} ${process.pid}`);
  });

  it('never takes over a lock written on another host (a container sharing the volume)', () => {
    const dir = freshDir();
    spoolAt(dir).close();
    // Its pid means nothing here: whether that owner lives cannot be told, so the spool is left to it.
    writeFileSync(join(dir, 'owner.pid'), `another-host 999999`);
    expect(() => makeSpool({ dir, maxBytes: 1_000 })).toThrow(/another-host 999999 on another host/);
  });

  it('takes over an unreadable lock file', () => {
    const dir = freshDir();
    spoolAt(dir).close();
    writeFileSync(join(dir, 'owner.pid'), 'garbage');
    expect(() => spoolAt(dir)).not.toThrow();
  });

  it('writes its host and pid, and close() releases the lock', () => {
    const dir = freshDir();
    const s = makeSpool({ dir, maxBytes: 1_000 });
    expect(readFileSync(join(dir, 'owner.pid'), 'utf8')).toBe(`${hostname()} ${process.pid}`);
    s.close();
    expect(existsSync(join(dir, 'owner.pid'))).toBe(false);
  });
});
