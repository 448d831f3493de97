/**
 * One raw envelope → its `polls` row, accepted `rates` and rejections. Pure; the poller and the replay both call it,
 * so a replay rebuilds exactly what the poller wrote (and a parser fix reaches old data by replaying).
 */
import { FILTERED_REASONS, type Poll, type Rate, type RejectionRow } from '../common/types.ts';
import { bodyByteLength, bodyText, type RawEnvelope } from './archive/envelope.ts';
import { checkJump, type Rejection, type SourceAdapter } from './sources/index.ts';
import { transportRejection } from './sources/envelope.ts';
import { CURRENCY_CODE } from './sources/validate.ts';

export type Normalized = { poll: Poll; rates: Rate[]; rejections: Rejection[] };

/** The last accepted rate of a currency, and its minute. */
export type Previous = { rate: number; ts: number };

/** How far back the jump check looks: a fixed rule, so polling and a replay decide alike, even across a restart. */
export const JUMP_LOOKBACK_MS = 60 * 60_000;

const MAX_ERROR_CHARS = 4000;
/** A rejection's detail in its `rejections` row: details are short already, this bounds the odd long one. */
const MAX_DETAIL_CHARS = 500;

/** Normalize one envelope; `previous` (this source's last accepted rates) is read only: the caller `advance`s it. */
export function normalize(
  env: RawEnvelope,
  adapter: SourceAdapter,
  previous: ReadonlyMap<string, Previous>,
): Normalized {
  const ts = Date.parse(env.minute);
  const rates: Rate[] = [];
  let rejections: Rejection[];
  const failed = transportRejection(env);
  if (failed) rejections = [failed];
  else {
    const parsed = adapter.parse({
      status: env.status,
      headers: env.headers,
      body: bodyText(env),
      url: env.url,
    });
    rejections = [...parsed.rejections];
    for (const r of parsed.rates) {
      const prev = previous.get(r.currency);
      const recent = prev && prev.ts <= ts && ts - prev.ts <= JUMP_LOOKBACK_MS ? prev.rate : undefined;
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

/** A poll's `rejections` rows, filtered ones included; a key that is no currency code stays out of the symbols. */
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
