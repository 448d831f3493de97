/** Reading the archive back from an in-memory store: order, filters, late arrivals, corrupt lines, failures. */
import { describe, expect, it } from 'vitest';
import { serializeEnvelope } from '../../../ingest/archive/envelope.ts';
import { hourPrefix, listingWindow } from '../../../ingest/archive/keys.ts';
import type { ArchiveStore } from '../../../ingest/archive/store.ts';
import { readArchive, type ArchiveObject } from '../../../ingest/replay/reader.ts';
import { envelope } from '../ingest/helpers.ts';
import { body, keyAt, memoryStore } from './archive-store.ts';

const MIN = 60_000;
const H = 3_600_000;
const T = Date.UTC(2031, 6, 1, 10, 0);

const read = async (store: ArchiveStore, from: number, to: number, slackMs: number, concurrency = 3) => {
  const out: ArchiveObject[] = [];
  for await (const o of readArchive(store, {
    prefix: 'raw/',
    arrival: listingWindow(from, to, slackMs),
    from,
    to,
    slackMs,
    concurrency,
  }))
    out.push(o);
  return out;
};

describe('readArchive', () => {
  const e = (i: number, over = {}) => envelope('coindesk', T + i * MIN, over);

  it('hands out objects in arrival order across hours, with the wanted minutes only', async () => {
    const objects = new Map([
      [keyAt(T + 1_000, 'a'), body(e(0))],
      [keyAt(T + 59 * MIN + 30_000, 'b'), body(e(59))],
      [keyAt(T + 60 * MIN + 2_000, 'c'), body(e(60), e(61))],
      [keyAt(T - 10 * MIN, 'before'), body(envelope('coindesk', T - 11 * MIN))],
    ]);
    const store = memoryStore(objects);
    const got = await read(store, T, T + 61 * MIN, 0);
    expect(got.map((o) => o.key.slice(-1))).toEqual(['a', 'b', 'c']);
    expect(got.map((o) => o.envelopes.map((x) => x.minute))).toEqual([
      [e(0).minute],
      [e(59).minute],
      [e(60).minute],
    ]);
    // The object that arrived before the range is not even fetched.
    expect(store.opened.some((k) => k.endsWith('before'))).toBe(false);
  });

  it('counts an envelope that arrived after its minute plus the slack as late, and leaves it out', async () => {
    const objects = new Map([
      [keyAt(T + 1_000, 'on-time'), body(e(0))],
      [keyAt(T + 45 * MIN, 'resent'), body(e(0, { attempt: 2 }), e(44))],
    ]);
    const strict = await read(memoryStore(objects), T, T + 60 * MIN, 30 * MIN);
    expect(strict.map((o) => [o.envelopes.length, o.late])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    const lenient = await read(memoryStore(objects), T, T + 60 * MIN, H);
    expect(lenient.map((o) => [o.envelopes.length, o.late])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('reports corrupt lines with their numbers and keeps the good ones', async () => {
    const text = `${serializeEnvelope(e(0))}{"v":1,"id":"x"\n\n<html>oops</html>\n${JSON.stringify({ ...e(1), v: 2 })}\n`;
    const [o] = await read(memoryStore(new Map([[keyAt(T + 30_000, 'bad'), text]])), T, T + 5 * MIN, 0);
    expect(o?.envelopes.map((x) => x.minute)).toEqual([e(0).minute]);
    expect(o?.bad).toEqual([
      { line: 2, error: expect.stringMatching(/^not JSON/) },
      { line: 4, error: expect.stringMatching(/^not JSON/) },
      { line: 5, error: expect.stringMatching(/^bad envelope: v/) },
    ]);
  });

  it('lists the window in one pass from its first hour folder, and stops at the first folder after it', async () => {
    const objects = new Map<string, string>();
    for (let h = 0; h < 6; h++) objects.set(keyAt(T + h * H + 2_000, `h${h}`), body(e(h * 60)));
    // Not Firehose's: passed by, not fetched.
    objects.set(`${hourPrefix('raw/', T).slice(0, -1)}x.txt`, 'x'); // sorts inside the window
    objects.set(`${hourPrefix('raw/', T + 2 * H)}nested/x`, body(e(121)));
    // Before the window, and many hours after it.
    objects.set(keyAt(T - 3 * H, 'early'), body(envelope('coindesk', T - 3 * H)));
    for (let h = 7; h < 40; h++)
      objects.set(keyAt(T + h * H, `late${h}`), body(envelope('coindesk', T + h * H)));
    const store = memoryStore(objects, new Set(), 2);
    const got = await read(store, T, T + 6 * H, 0, 1);
    const nested = `${hourPrefix('raw/', T + 2 * H)}nested/x`; // no time in its name: its folder's hour
    const hourly = (h: number) => keyAt(T + h * H + 2_000, `h${h}`);
    expect(got.map((o) => o.key)).toEqual(
      [0, 1, 'n', 2, 3, 4, 5].map((h) => (h === 'n' ? nested : hourly(h as number))),
    );
    expect(store.opened).not.toContain(keyAt(T - 3 * H, 'early'));
    // Pages of two: the window's eight keys fill four, the fifth starts after the window and ends the listing.
    expect(store.pages).toHaveLength(5);
    expect(store.opened.some((k) => k.includes('late'))).toBe(false);
  });

  it('stops listing at the first key past the window, in an hour folder or not', async () => {
    const objects = new Map([
      [keyAt(T + 2_000, 'a'), body(e(0))],
      [keyAt(T + H + 2_000, 'b'), body(e(60))],
    ]);
    // Sorted after every hour folder: an error output Firehose was configured to write under the same prefix.
    for (let i = 0; i < 5; i++) objects.set(`raw/processing-failed/x${i}`, 'x');
    const store = memoryStore(objects, new Set(), 1);
    const got = await read(store, T, T + 2 * H, 0);
    expect(got.map((o) => o.key)).toEqual([keyAt(T + 2_000, 'a'), keyAt(T + H + 2_000, 'b')]);
    expect(store.pages).toEqual([
      keyAt(T + 2_000, 'a'),
      keyAt(T + H + 2_000, 'b'),
      'raw/processing-failed/x0',
    ]);
  });

  it('stops at a page that cannot be listed, after the objects before it', async () => {
    const objects = new Map([
      [keyAt(T + 2_000, 'a'), body(e(0))],
      [keyAt(T + H + 2_000, 'b'), body(e(60))],
      [keyAt(T + 2 * H + 2_000, 'c'), body(e(120))],
    ]);
    const inner = memoryStore(objects, new Set(), 1);
    const store: ArchiveStore = {
      ...inner,
      async *list(prefix, startAfter) {
        let n = 0;
        for await (const page of inner.list(prefix, startAfter)) {
          if (n++ === 2) throw new Error('connect ECONNREFUSED');
          yield page;
        }
      },
    };
    const got: string[] = [];
    const run = async () => {
      for await (const o of readArchive(store, {
        prefix: 'raw/',
        arrival: listingWindow(T, T + 3 * H, 0),
        from: T,
        to: T + 3 * H,
        slackMs: 0,
        concurrency: 1,
      }))
        got.push(o.key);
    };
    await expect(run()).rejects.toThrow('connect ECONNREFUSED');
    // An hour folder is handed out once the listing has passed it: a's, not b's (its folder may go on).
    expect(got).toEqual([keyAt(T + 2_000, 'a')]);
  });

  it('stops with the key when an object cannot be fetched, instead of passing over it', async () => {
    const bad = keyAt(T + 2_000, 'x');
    const store = memoryStore(new Map([[bad, body(e(0))]]), new Set([bad]));
    await expect(read(store, T, T + MIN, 0)).rejects.toThrow(
      `reading s3 object ${bad}: connect ECONNREFUSED`,
    );
  });
});
