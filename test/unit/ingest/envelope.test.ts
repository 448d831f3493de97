import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyByteLength,
  bodyBytes,
  bodyText,
  encodeBody,
  makeEnvelopes,
  parseArchiveLine,
  relevantHeaders,
  serializeEnvelope,
  type RawEnvelope,
} from '../../../ingest/archive/envelope.ts';
import { attempt, envelope } from './helpers.ts';

const MINUTE = Date.UTC(2030, 4, 6, 7, 8);

/** Serialize, parse back, and return the body bytes the parsed envelope holds. */
function roundTrip(body: Buffer): { env: RawEnvelope; bytes: Buffer } {
  const line = serializeEnvelope(envelope('blockchain', MINUTE, { body }));
  expect(line.endsWith('\n')).toBe(true);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  const parsed = parseArchiveLine(line.trimEnd());
  if (!parsed.ok) throw new Error(parsed.error);
  return { env: parsed.envelope, bytes: bodyBytes(parsed.envelope) };
}

describe('envelope bodies', () => {
  it('keeps UTF-8 text as text, byte for byte (BOM, multi-byte, newlines included)', () => {
    const body = Buffer.from('\uFEFF{"EUR":{"symbol":"€"},"note":"ä\\n\n\u2028"}', 'utf8');
    const { env, bytes } = roundTrip(body);
    expect(env.bodyEncoding).toBe('utf8');
    expect(env.body).toBe(body.toString('utf8'));
    expect(bytes.equals(body)).toBe(true);
  });

  it('keeps bytes that are not valid UTF-8 as base64', () => {
    for (const body of [
      Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      Buffer.from([0x7b, 0xe2, 0x82]), // a multi-byte sequence cut short (a body cut at the size cap)
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.from([0xc0, 0xaf]), // overlong
    ]) {
      const { env, bytes } = roundTrip(body);
      expect(env.bodyEncoding).toBe('base64');
      expect(env.body).toBe(body.toString('base64'));
      expect(bytes.equals(body)).toBe(true);
    }
  });

  it('keeps an empty body', () => {
    const { env, bytes } = roundTrip(Buffer.alloc(0));
    expect(env).toMatchObject({ body: '', bodyEncoding: 'utf8' });
    expect(bytes.length).toBe(0);
  });

  it('bodyBytes(encodeBody(b)) is b for any bytes, and survives a JSON line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        const b = Buffer.from(arr);
        expect(bodyBytes(encodeBody(b)).equals(b)).toBe(true);
        const json = JSON.parse(JSON.stringify(encodeBody(b))) as ReturnType<typeof encodeBody>;
        expect(bodyBytes(json).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('the same for UTF-8 text of any code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => {
        const b = Buffer.from(s, 'utf8');
        const e = encodeBody(b);
        expect(e.bodyEncoding).toBe('utf8');
        expect(bodyBytes(e).equals(b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a body base64 when escaped in JSON it would not fit a Firehose record (1000 KiB) at the largest cap', () => {
    const cap = 600_000; // HTTP_MAX_BYTES at most
    for (const fill of ['"', '\n', '\u0000', '\\']) {
      const b = Buffer.from(fill.repeat(cap));
      const e = encodeBody(b);
      expect(e.bodyEncoding, JSON.stringify(fill)).toBe('base64');
      expect(bodyBytes(e).equals(b)).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThan(1_000 * 1024 - 4_000);
    }
    const json = Buffer.from(`{"rates":{${'"ABC":"1.5",'.repeat(cap / 12)}}}`);
    expect(encodeBody(json).bodyEncoding).toBe('utf8');
  });
});

describe('bodyText and bodyByteLength', () => {
  it('are the decoded text and the length of bodyBytes for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        const e = encodeBody(Buffer.from(arr));
        expect(bodyText(e)).toBe(bodyBytes(e).toString('utf8'));
        expect(bodyByteLength(e)).toBe(bodyBytes(e).length);
      }),
      { numRuns: 2000 },
    );
  });

  it('the same for a text body holding lone surrogates (an envelope edited by hand, or corrupt)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const e = { body: s, bodyEncoding: 'utf8' as const };
        expect(bodyText(e)).toBe(bodyBytes(e).toString('utf8'));
        expect(bodyByteLength(e)).toBe(bodyBytes(e).length);
      }),
      { numRuns: 2000 },
    );
    const lone = { body: 'a\ud800b', bodyEncoding: 'utf8' as const };
    expect(bodyText(lone)).toBe('a\ufffdb');
    expect(bodyByteLength(lone)).toBe(5);
  });
});

describe('parseArchiveLine', () => {
  const good = envelope('coinbase', MINUTE, { body: '{}' });
  const line = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });

  it('accepts what serializeEnvelope writes', () => {
    expect(parseArchiveLine(serializeEnvelope(good))).toEqual({ ok: true, envelope: good });
  });

  it.each([
    ['v', { v: 2 }],
    ['id', { id: '' }],
    ['source', { source: 'bitfinex' }],
    ['minute', { minute: '2030-05-06T07:08:30.000Z' }],
    ['minute', { minute: 'yesterday' }],
    ['attempt', { attempt: 0 }],
    ['attempt', { attempt: 1.5 }],
    ['final', { final: 'yes' }],
    ['fetchedAt', { fetchedAt: 'later' }],
    ['latencyMs', { latencyMs: -1 }],
    ['status', { status: 1000 }],
    ['headers.date', { headers: { date: 5 } }],
    ['bodyEncoding', { bodyEncoding: 'hex' }],
    ['bodyTruncated', { bodyTruncated: null }],
    ['error', { error: 3 }],
    ['poller', { poller: undefined }],
  ])('names the bad field %s', (field, patch) => {
    const r = parseArchiveLine(line(patch));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(new RegExp(`^bad envelope: ${field.replace('.', '\\.')}: `));
  });

  it('says when a line is not JSON at all (a torn S3 object)', () => {
    const r = parseArchiveLine(serializeEnvelope(good).slice(0, 40));
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/^not JSON: /) });
  });

  it('says when the line is not an object', () => {
    expect(parseArchiveLine('[1,2]')).toEqual({ ok: false, error: expect.stringMatching(/^bad envelope: /) });
    expect(parseArchiveLine('null')).toEqual({ ok: false, error: expect.stringMatching(/^bad envelope: /) });
  });
});

describe('relevantHeaders', () => {
  it('keeps caching, size and rate-limit headers, lower-cased, and drops the rest', () => {
    expect(
      relevantHeaders({
        'Content-Type': 'application/json',
        date: 'Mon, 06 May 2030 07:08:01 GMT',
        'Retry-After': '30',
        ETag: '"abc"',
        'Cache-Control': 'max-age=30',
        age: '12',
        'X-RateLimit-Remaining': '99',
        'RateLimit-Policy': '100;w=60',
        'set-cookie': 'session=secret',
        server: 'cloudflare',
        'x-request-id': 'r1',
      }),
    ).toEqual({
      'content-type': 'application/json',
      date: 'Mon, 06 May 2030 07:08:01 GMT',
      'retry-after': '30',
      etag: '"abc"',
      'cache-control': 'max-age=30',
      age: '12',
      'x-ratelimit-remaining': '99',
      'ratelimit-policy': '100;w=60',
    });
  });
});

describe('makeEnvelopes', () => {
  it('one envelope per attempt, only the last one final, each with its own id', () => {
    const attempts = [
      attempt({ attempt: 1, status: 500, body: 'oops', fetchedAt: MINUTE + 300 }),
      attempt({ attempt: 2, status: 0, error: 'timeout', fetchedAt: MINUTE + 2_000 }),
      attempt({ attempt: 3, status: 200, body: '{}', fetchedAt: MINUTE + 5_123, latencyMs: 1.23456 }),
    ];
    const envs = makeEnvelopes({
      source: 'coindesk',
      url: 'http://x/y',
      minute: MINUTE,
      attempts,
      poller: 'p1',
    });
    expect(envs.map((e) => [e.attempt, e.final, e.status])).toEqual([
      [1, false, 500],
      [2, false, 0],
      [3, true, 200],
    ]);
    expect(new Set(envs.map((e) => e.id)).size).toBe(3);
    expect(envs[0]!.id).toMatch(/^20300506T0708Z-coindesk-1-[0-9a-f]{12}$/);
    expect(envs[2]).toMatchObject({
      v: 1,
      source: 'coindesk',
      url: 'http://x/y',
      minute: '2030-05-06T07:08:00.000Z',
      fetchedAt: '2030-05-06T07:08:05.123Z',
      latencyMs: 1.235,
      poller: 'p1',
      error: null,
    });
    expect(envs[1]!.error).toBe('timeout');
  });

  it('a single attempt is final', () => {
    expect(envelope('blockchain', MINUTE).final).toBe(true);
  });
});
