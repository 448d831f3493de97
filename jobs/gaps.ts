/** The pure core of gap repair: expected-minute grids against rows present, replay spans, gap verdicts. */
import { arrivalDeadline } from '../ingest/archive/keys.ts';
import { rateKey, type MinuteOutput } from '../ingest/replay/minutes.ts';
import type { Window } from './scheduler.ts';

const MIN = 60_000;

export type Series = { source: string; currency: string };
export type Gap = Series & { ts: number };
export type GapStatus = 'repaired' | 'rejected' | 'missing';
export type Verdict = { status: GapStatus; reason: string };
export const FILLED = 'filled since it was found, by a row from another archived response (a candle page)';

/** Every minute of `window` each series has no row for (`present` holds rateKey()s). Pure. */
export function gridGaps(window: Window, series: Series[], present: Set<string>): Gap[] {
  const out: Gap[] = [];
  for (const s of series)
    for (let ts = Math.ceil(window.start / MIN) * MIN; ts < window.end; ts += MIN)
      if (!present.has(rateKey({ ts, ...s }))) out.push({ ts, ...s });
  return out;
}

/** Spans [from, to) of whole minutes covering `minutes`, split where the next is over `joinMs` away. Pure. */
export function spansOf(minutes: number[], joinMs: number): { from: number; to: number }[] {
  const sorted = [...new Set(minutes)].sort((a, b) => a - b);
  const out: { from: number; to: number }[] = [];
  for (const m of sorted) {
    const last = out[out.length - 1];
    if (last && m - (last.to - MIN) <= joinMs) last.to = m + MIN;
    else out.push({ from: m, to: m + MIN });
  }
  return out;
}

/**
 * Per gap: `repaired` (the archive gives the rate, or `filled` has its key: a row written since by other means, such
 * as a venue's candle page), `rejected` (a response, no rate) or `missing`. Pure.
 */
export function classifyGaps(gaps: Gap[], outs: MinuteOutput[], filled: Set<string>): Map<string, Verdict> {
  const produced = new Set<string>();
  const answered = new Map<string, { attempt: number; accepted: number; reason: string; error: string }>();
  const refused = new Map<string, string>();
  for (const o of outs) {
    for (const r of o.rates) produced.add(rateKey(r));
    for (const p of o.polls) {
      const k = `${p.ts}|${p.source}`;
      const seen = answered.get(k);
      if (!seen || p.attempt >= seen.attempt) answered.set(k, p);
    }
    for (const j of o.rejections)
      if (j.currency !== null)
        refused.set(
          rateKey({ ts: o.minute, source: j.source, currency: j.currency }),
          `${j.reason}: ${j.detail}`,
        );
  }
  const out = new Map<string, Verdict>();
  for (const g of gaps) {
    const key = rateKey(g);
    const poll = answered.get(`${g.ts}|${g.source}`);
    if (produced.has(key)) out.set(key, { status: 'repaired', reason: '' });
    else if (filled.has(key)) out.set(key, { status: 'repaired', reason: FILLED });
    else if (!poll)
      out.set(key, {
        status: 'missing',
        reason: 'no response of this source for this minute in the archive',
      });
    else
      out.set(key, {
        status: 'rejected',
        reason:
          refused.get(key) ??
          (poll.accepted > 0 || !poll.reason
            ? 'the currency is not in the response'
            : poll.error || poll.reason),
      });
  }
  return out;
}

/** A verdict stands for good unless the archive may still receive the response (a late spool re-send). Pure. */
export function isFinal(status: GapStatus, ts: number, now: number, slackMs: number): boolean {
  return status !== 'missing' || now > arrivalDeadline(ts, slackMs);
}
