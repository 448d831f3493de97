/**
 * Normalization: one raw envelope → its `polls` row, its accepted `rates` and its rejections. Pure, and the only
 * path from raw bytes to rows: the live poller and the S3 replay both call it, so a replay rebuilds exactly
 * what the poller wrote (and a parser fix reaches old data by replaying).
 */
import type { Poll, Rate } from '../common/types.ts';
import { bodyByteLength, bodyText, type RawEnvelope } from './archive/envelope.ts';
import { checkJump, type Rejection, type SourceAdapter } from './sources/index.ts';

export type Normalized = { poll: Poll; rates: Rate[]; rejections: Rejection[] };

/** The last accepted rate of a currency, and its minute. */
export type Previous = { rate: number; ts: number };

/**
 * How far back the jump check looks. A fixed rule (not "whatever the process remembers") keeps live polling
 * and a replay from S3 deciding alike, even across a restart.
 */
export const JUMP_LOOKBACK_MS = 60 * 60_000;

const MAX_ERROR_CHARS = 4000;

/**
 * Rejections that are part of a healthy response (Coinbase lists BTC priced in itself in every answer): still
 * counted and described, but never the poll's `reason`, so "errors by reason" shows real problems only.
 */
export const BENIGN = new Set<string>(['self_quote']);

/**
 * Normalize one envelope. `previous` holds the last accepted rate per currency of this source (for the jump
 * check, within JUMP_LOOKBACK_MS before this minute); it is read, not changed — the caller advances it with the
 * returned rates (see `advance`).
 */
export function normalize(
  env: RawEnvelope,
  adapter: SourceAdapter,
  previous: ReadonlyMap<string, Previous>,
): Normalized {
  const ts = Date.parse(env.minute);
  const rates: Rate[] = [];
  let rejections: Rejection[];
  if (env.error !== null && env.status === 0) {
    rejections = [{ currency: null, reason: 'http_status', detail: `no response: ${env.error}` }];
  } else if (env.bodyTruncated) {
    // Only a prefix of the response was read. It is not parsed: a prefix can still be valid JSON (trailing
    // padding cut off) and would pass for the whole answer.
    rejections = [{ currency: null, reason: 'truncated', detail: env.error ?? 'body cut at the size cap' }];
  } else {
    const parsed = adapter.parse({ status: env.status, headers: env.headers, body: bodyText(env) });
    rejections = [...parsed.rejections];
    for (const r of parsed.rates) {
      const prev = previous.get(r.currency);
      const recent = prev && prev.ts < ts && ts - prev.ts <= JUMP_LOOKBACK_MS ? prev.rate : undefined;
      const jump = checkJump(recent, r.rate);
      if (jump) rejections.push({ currency: r.currency, ...jump });
      else rates.push({ ts, source: env.source, currency: r.currency, rate: r.rate, quoteTs: r.quoteTs });
    }
  }
  const noResponse = env.status === 0;
  return {
    poll: {
      ts,
      source: env.source,
      attempt: env.attempt,
      poller: env.poller,
      fetchedAt: Date.parse(env.fetchedAt),
      httpStatus: env.status,
      latencyMs: env.latencyMs,
      bytes: bodyByteLength(env),
      accepted: rates.length,
      rejected: rejections.length,
      archiveId: env.id,
      reason: noResponse ? 'network' : (rejections.find((r) => !BENIGN.has(r.reason))?.reason ?? ''),
      error: describeRejections(rejections),
    },
    rates,
    rejections,
  };
}

/** One line of text for the `error` column: each rejection with its currency and detail. */
export function describeRejections(rejections: Rejection[]): string {
  const text = rejections
    .map((r) => `${r.reason}${r.currency ? `(${r.currency})` : ''}: ${r.detail}`)
    .join('; ');
  return text.length > MAX_ERROR_CHARS
    ? `${text.slice(0, MAX_ERROR_CHARS)}… (${rejections.length} rejections)`
    : text;
}

/** Record accepted rates as the new "previous" of their currencies. */
export function advance(previous: Map<string, Previous>, rates: Rate[]): void {
  for (const r of rates) previous.set(r.currency, { rate: r.rate, ts: r.ts });
}
