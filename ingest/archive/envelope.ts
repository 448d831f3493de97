/**
 * The raw archive record: one JSON line per HTTP attempt, with everything needed to normalize it again (replay):
 * source and URL, scheduled minute, fetch time, status, the headers that matter and the body exactly as received.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SOURCE_NAMES, type SourceName } from '../../common/types.ts';
import type { Attempt } from '../http.ts';

const ENVELOPE_VERSION = 1;

/** Response headers worth keeping: caching and freshness, size, rate limiting. */
const KEEP = new Set([
  ...'content-type content-length content-encoding date age cache-control'.split(' '),
  ...'etag last-modified expires retry-after'.split(' '),
]);
export function relevantHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (KEEP.has(key) || key.startsWith('x-ratelimit') || key.startsWith('ratelimit')) out[key] = v;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A body escaped in JSON past this would not fit a Firehose record (1000 KiB) with the envelope around it. */
const MAX_TEXT_BODY = 900_000;

/** Body bytes as envelope fields: text when valid UTF-8 that fits a record (readable in S3), else base64; lossless. */
export function encodeBody(body: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  try {
    const text = utf8.decode(body);
    if (Buffer.byteLength(JSON.stringify(text)) <= MAX_TEXT_BODY) return { body: text, bodyEncoding: 'utf8' };
  } catch {
    // not UTF-8
  }
  return { body: body.toString('base64'), bodyEncoding: 'base64' };
}

/** The exact body bytes of an envelope. */
export function bodyBytes(e: Pick<RawEnvelope, 'body' | 'bodyEncoding'>): Buffer {
  return e.bodyEncoding === 'base64' ? Buffer.from(e.body, 'base64') : Buffer.from(e.body, 'utf8');
}

/** No lone surrogate (which a UTF-8 round trip would replace). String.prototype.isWellFormed, Node 20+. */
const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** The body bytes decoded as UTF-8, what the adapters parse: well-formed `utf8` text is that already. */
export function bodyText(e: Pick<RawEnvelope, 'body' | 'bodyEncoding'>): string {
  return e.bodyEncoding === 'utf8' && wellFormed(e.body) ? e.body : bodyBytes(e).toString('utf8');
}

/** The length of the body in bytes (what `bodyBytes(e).length` gives, without building the buffer for text). */
export function bodyByteLength(e: Pick<RawEnvelope, 'body' | 'bodyEncoding'>): number {
  return e.bodyEncoding === 'base64' ? bodyBytes(e).length : Buffer.byteLength(e.body, 'utf8');
}

/** A new envelope id: minute, source and attempt for humans, random bits for uniqueness across pollers. */
export function envelopeId(source: string, minute: number, attempt: number): string {
  const stamp = new Date(minute).toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${stamp}Z-${source}-${attempt}-${randomBytes(6).toString('hex')}`;
}

/** Build the envelopes of one poll's attempts. */
export function makeEnvelopes(p: {
  source: SourceName;
  url: string;
  minute: number;
  attempts: Attempt[];
  poller: string;
}): RawEnvelope[] {
  return p.attempts.map((a, i) => ({
    v: ENVELOPE_VERSION,
    id: envelopeId(p.source, p.minute, a.attempt),
    source: p.source,
    url: p.url,
    minute: new Date(p.minute).toISOString(),
    attempt: a.attempt,
    final: i === p.attempts.length - 1,
    fetchedAt: new Date(a.fetchedAt).toISOString(),
    latencyMs: Math.round(a.latencyMs * 1000) / 1000,
    status: a.status,
    headers: relevantHeaders(a.headers),
    ...encodeBody(a.body),
    bodyTruncated: a.bodyTruncated,
    error: a.error,
    poller: p.poller,
  }));
}

/** One archive line. */
export function serializeEnvelope(e: RawEnvelope): string {
  return JSON.stringify(e) + '\n';
}

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO 8601 time');
const envelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  /** Unique and stable: created once, kept through spool re-sends, so duplicates can be recognized. */
  id: z.string().min(1).max(200),
  source: z.enum(SOURCE_NAMES),
  url: z.string(),
  /** Scheduled minute, ISO 8601 UTC: the observation time of every row normalized from it. */
  minute: isoTime.refine((s) => Date.parse(s) % 60_000 === 0, 'must be a whole minute'),
  attempt: z.number().int().positive(),
  /** True for the attempt whose outcome stands for the minute (the last one made). */
  final: z.boolean(),
  fetchedAt: isoTime,
  latencyMs: z.number().nonnegative(),
  /** 0 when no response arrived (see `error`). */
  status: z.number().int().min(0).max(999),
  headers: z.record(z.string(), z.string()),
  /** The body: UTF-8 text when it decodes as such, else base64 (see `bodyEncoding`). */
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  bodyTruncated: z.boolean(),
  error: z.string().nullable(),
  /** Which poller process made the call (two may run at once). */
  poller: z.string(),
  /** A page of one-minute candles (backfill): the open minutes [from, to) it asked for, epoch ms. */
  candles: z.object({ from: z.number().int(), to: z.number().int() }).optional(),
});
export type RawEnvelope = z.infer<typeof envelopeSchema>;

/** Parse one archive line (untrusted: S3 objects can be corrupt); a reasoned error names the field. */
export function parseArchiveLine(
  line: string,
): { ok: true; envelope: RawEnvelope } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = envelopeSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return { ok: false, error: `bad envelope: ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}` };
  }
  return { ok: true, envelope: r.data };
}
