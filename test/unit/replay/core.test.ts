/** The pure pieces of the replay: archive keys and arrival times, line splitting, the minute buffer. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serializeEnvelope } from '../../../ingest/archive/envelope.ts';
import { compareEnvelopes, makeMinuteBuffer } from '../../../ingest/replay/minutes.ts';
import {
  arrivalDeadline,
  arrivalOf,
  hourPrefix,
  hourOfKey,
  listingWindow,
  minuteHint,
} from '../../../ingest/archive/keys.ts';
import { maybeGunzip, splitLines } from '../../../ingest/archive/lines.ts';
import { envelope } from '../ingest/helpers.ts';

const H = 3_600_000;
const MIN = 60_000;
const T = Date.UTC(2031, 0, 5, 13, 0);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
async function* chunks(...parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

describe('archive keys', () => {
  it('names the hour folder Firehose writes to, in UTC', () => {
    expect(hourPrefix('raw/', T + 59 * MIN)).toBe('raw/2031/01/05/13/');
    expect(hourPrefix('p/', Date.UTC(2031, 11, 31, 23, 59))).toBe('p/2031/12/31/23/');
  });

  it('finds the hour folder of a key, and nothing for keys outside hour folders', () => {
    expect(hourOfKey('raw/', 'raw/2031/01/05/13/btc-rates-1-2031-01-05-13-42-07-x')).toBe(T);
    expect(hourOfKey('raw/', 'raw/2031/01/05/13/')).toBe(T);
    expect(hourOfKey('raw/', 'raw/2031/02/30/13/x')).toBeNull(); // no 30 February
    expect(hourOfKey('raw/', 'raw/2031/01/05/24/x')).toBeNull();
    expect(hourOfKey('raw/', 'raw/2031/01/05/13x')).toBeNull();
    expect(hourOfKey('raw/', 'raw/errors/2031/01/05/13/x')).toBeNull();
    expect(hourOfKey('raw/', 'other/2031/01/05/13/x')).toBeNull();
  });

  it('lists from a little before the first minute to the last one plus the slack', () => {
    const w = listingWindow(T, T + 10 * MIN, 24 * H);
    expect(w.from).toBeLessThan(T);
    expect(w.to).toBe(arrivalDeadline(T + 9 * MIN, 24 * H) + 1);
    expect(arrivalDeadline(T, 0)).toBe(T + MIN);
  });

  it('reads the arrival time from a Firehose object name, only within its hour folder', () => {
    const key = 'raw/2031/01/05/13/btc-rates-1-2031-01-05-13-42-07-0b1c2d3e-aaaa-bbbb-cccc-0123456789ab';
    expect(arrivalOf(key, T)).toBe(T + 42 * MIN + 7_000);
    expect(arrivalOf(key, T + H)).toBeNull();
    expect(arrivalOf('raw/2031/01/05/13/some-object.json', T)).toBeNull();
  });

  it('finds the minute of an archive line without parsing it, and not inside the escaped body', () => {
    const e = envelope('coinbase', T, { body: '{"minute":"1999-01-01T00:00:00Z"}' });
    expect(minuteHint(serializeEnvelope(e))).toBe(T);
    const bodyFirst = JSON.stringify({ body: e.body, minute: e.minute });
    expect(minuteHint(bodyFirst)).toBe(T);
    expect(minuteHint('<html>oops</html>')).toBeNull();
    expect(minuteHint('{"minute":"not a time at all"}')).toBeNull();
  });
});

describe('splitLines', () => {
  it('splits across chunk boundaries, CRLF or LF, multi-byte characters cut in two, no final newline', async () => {
    const euro = Buffer.from('€');
    const lines = await collect(
      splitLines(
        chunks(
          'a\r',
          '\nb',
          'c\n',
          Buffer.concat([Buffer.from('d'), euro.subarray(0, 1)]),
          euro.subarray(1),
          '\n\nlast',
        ),
      ),
    );
    expect(lines).toEqual(['a', 'bc', 'd€', '', 'last']);
  });

  it('passes plain bodies through and inflates gzip ones', async () => {
    const text = 'one\ntwo\n';
    expect(await collect(splitLines(maybeGunzip(chunks(text))))).toEqual(['one', 'two']);
    const gz = gzipSync(text);
    // However the body is cut, a lone first byte included.
    for (const cut of [1, 2, 5])
      expect(await collect(splitLines(maybeGunzip(chunks(gz.subarray(0, cut), gz.subarray(cut)))))).toEqual([
        'one',
        'two',
      ]);
    expect(await collect(maybeGunzip(chunks()))).toEqual([]);
    expect(await collect(splitLines(maybeGunzip(chunks('x'))))).toEqual(['x']);
  });

  it('throws a zlib error (Z_*) for a corrupt gzip body', async () => {
    const bad = Buffer.concat([gzipSync('hello\n').subarray(0, 12), Buffer.from('garbage')]);
    await expect(collect(maybeGunzip(chunks(bad)))).rejects.toMatchObject({
      code: expect.stringMatching(/^Z_/),
    });
  });
});

describe('the minute buffer', () => {
  it('keeps an id once, hands out minutes oldest first, each in a fixed order', () => {
    const b = makeMinuteBuffer();
    const late = envelope('coinbase', T, { attempt: 2, fetchedAt: T + 5_000 });
    const first = envelope('coinbase', T, { attempt: 1, fetchedAt: T + 1_000 });
    const other = envelope('blockchain', T, { attempt: 1, fetchedAt: T + 9_000 });
    const next = envelope('coinbase', T + MIN);
    expect(b.add(next, T + MIN)).toBe(true);
    expect(b.add(late, T)).toBe(true);
    expect(b.add(first, T)).toBe(true);
    expect(b.add(other, T)).toBe(true);
    expect(b.add({ ...first }, T)).toBe(false);
    const [m] = b.takeBefore(T + MIN);
    expect(m?.minute).toBe(T);
    expect(m?.envelopes.map((e) => e.id)).toEqual([other.id, first.id, late.id]);
    expect(b.takeBefore(T + MIN)).toEqual([]);
    expect(b.takeAll().map((g) => g.minute)).toEqual([T + MIN]);
    expect(b.takeAll()).toEqual([]);
  });

  it('orders two pollers of one attempt by fetch time, then id', () => {
    const a = { ...envelope('coinbase', T), id: 'b', fetchedAt: new Date(T + 1).toISOString() };
    const b = { ...a, id: 'a' };
    const c = { ...a, id: 'c', fetchedAt: new Date(T).toISOString() };
    expect([a, b, c].sort(compareEnvelopes).map((e) => e.id)).toEqual(['c', 'a', 'b']);
  });
});
