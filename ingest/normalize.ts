/**
 * Normalization: one raw envelope → its `polls` row, its accepted `rates` and its rejections. Pure, and the only
 * path from raw bytes to rows: the live poller and the S3 replay both call it, so a replay rebuilds exactly
 * what the poller wrote (and a parser fix reaches old data by replaying).
 */
import { FILTERED_REASONS, type Poll, type Rate, type RejectionRow } from '../common/types.ts';
import { bodyByteLength, bodyText, type RawEnvelope } from './archive/envelope.ts';
import { checkJump, type Rejection, type SourceAdapter } from './sources/index.ts';
import { CURRENCY_CODE } from './sources/validate.ts';

export type Normalized = { poll: Poll; rates: Rate[]; rejections: Rejection[] };

/** The last accepted rate of a currency, and its minute. */
export type Previous = { rate: number; ts: number };

/**
 * How far back the jump check looks. A fixed rule (not "whatever the process remembers") keeps live polling
 * and a replay from S3 deciding alike, even across a restart.
 */
export const JUMP_LOOKBACK_MS = 60 * 60_000;

const MAX_ERROR_CHARS = 4000;

/** A rejection's detail in its `rejections` row: details are short already, this bounds the odd long one. */
const MAX_DETAIL_CHARS = 500;

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
    rejections = [{ currency: null, reason: 'network', detail: `no response: ${env.error}` }];
  } else if (env.bodyTruncated) {
    // Only a prefix of the response was read. It is not parsed: a prefix can still be valid JSON (trailing
    // padding cut off) and would pass for the whole answer.
    rejections = [{ currency: null, reason: 'truncated', detail: env.error ?? 'body cut at the size cap' }];
  } else {
    const parsed = adapter.parse({
      status: env.status,
      headers: env.headers,
      body: bodyText(env),
      url: env.url,
    });
    rejections = [...parsed.rejections];
    for (const r of parsed.rates) {
      const prev = previous.get(r.currency);
      const recent = prev && prev.ts < ts && ts - prev.ts <= JUMP_LOOKBACK_MS ? prev.rate : undefined;
      const jump = checkJump(recent, r.rate);
      if (jump) rejections.push({ currency: r.currency, ...jump });
      else rates.push({ ts, source: env.source, currency: r.currency, rate: r.rate, quoteTs: r.quoteTs });
    }
  }
  // Filtered rejections (a known, permanent condition) are counted in `rejections` only, never as the poll's.
  const rejected = rejections.filter((r) => !FILTERED_REASONS.has(r.reason));
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
      rejected: rejected.length,
      archiveId: env.id,
      reason: rejected[0]?.reason ?? '',
      error: describeRejections(rejected),
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

/**
 * The `rejections` rows of a poll: every rejection, filtered ones included, keyed by the poll's row. A payload key
 * that is not a currency code is named in the detail only: untrusted text must not grow the symbol table.
 */
export function rejectionRows(poll: Poll, rejections: Rejection[]): RejectionRow[] {
  const { ts, source, attempt, poller } = poll;
  return rejections.map((r) => ({
    ts,
    source,
    attempt,
    poller,
    currency: r.currency !== null && CURRENCY_CODE.test(r.currency) ? r.currency : null,
    reason: r.reason,
    detail: r.detail.length > MAX_DETAIL_CHARS ? `${r.detail.slice(0, MAX_DETAIL_CHARS)}…` : r.detail,
  }));
}

/** Record accepted rates as the new "previous" of their currencies. */
export function advance(previous: Map<string, Previous>, rates: Rate[]): void {
  for (const r of rates) previous.set(r.currency, { rate: r.rate, ts: r.ts });
}
