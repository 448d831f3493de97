/**
 * A replay's minutes: envelopes held by minute until complete, then normalized as the poller does (jump memory,
 * first-seen `currencies`). Its state is plain data, so a killed replay resumes with exactly what it had. Pure.
 */
import type { Currency, Poll, Rate, RejectionRow } from '../../common/types.ts';
import type { RawEnvelope } from '../archive/envelope.ts';
import { describeCurrency } from '../currencies.ts';
import { advance, normalize, rejectionRows, type Previous } from '../normalize.ts';
import { candleRates } from '../sources/candles.ts';
import { adapterFor } from '../sources/index.ts';

export type MinuteGroup = { minute: number; envelopes: RawEnvelope[] };

/** The order normalization sees: per source the order the poller called in (attempt, fetch time), then id. */
export function compareEnvelopes(a: RawEnvelope, b: RawEnvelope): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.attempt !== b.attempt) return a.attempt - b.attempt;
  if (a.fetchedAt !== b.fetchedAt) return Date.parse(a.fetchedAt) - Date.parse(b.fetchedAt);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Envelopes held by minute, each id once (a re-sent batch repeats envelopes). */
export function makeMinuteBuffer() {
  const byMinute = new Map<number, Map<string, RawEnvelope>>();
  /** Hand out, oldest first and each in `compareEnvelopes` order, every held minute before `limit`. */
  const takeBefore = (limit: number): MinuteGroup[] =>
    [...byMinute.keys()]
      .filter((m) => m < limit)
      .sort((a, b) => a - b)
      .map((minute) => {
        const held = [...byMinute.get(minute)!.values()];
        byMinute.delete(minute);
        return { minute, envelopes: held.sort(compareEnvelopes) };
      });
  return {
    /** Hold an envelope; false when its id is already held. */
    add(envelope: RawEnvelope, minute: number): boolean {
      let held = byMinute.get(minute);
      if (!held) byMinute.set(minute, (held = new Map()));
      if (held.has(envelope.id)) return false;
      held.set(envelope.id, envelope);
      return true;
    },
    takeBefore,
    takeAll: () => takeBefore(Infinity),
  };
}

/** The jump check's memory: last accepted rate per source and currency. JSON-safe. */
export type PreviousState = Record<string, Record<string, Previous>>;
/** The same memory as maps, as the poller and the normalizer keep it. */
export const previousMaps = (state: PreviousState): Map<string, Map<string, Previous>> =>
  new Map(Object.entries(state).map(([s, m]) => [s, new Map(Object.entries(m))]));

export type MinuteOutput = {
  minute: number;
  polls: Poll[];
  rates: Rate[];
  /** Rows of candle pages (minutes before this one): written only where no poll gives the key. */
  candles: Rate[];
  /** First sightings: codes unknown so far, or seen earlier than recorded. */
  currencies: Currency[];
  /** The `rejections` rows of the minute's polls, as the poller writes them. */
  rejections: RejectionRow[];
};

/** The tables' DEDUP keys: a rate per minute, source and currency; a poll per each poller's each attempt. */
export const rateKey = (r: { ts: number; source: string; currency: string }) =>
  `${r.ts}|${r.source}|${r.currency}`;
export const pollKey = (p: { ts: number; source: string; attempt: number; poller: string }) =>
  `${p.ts}|${p.source}|${p.attempt}|${p.poller}`;

/** Starting from `previous` (QuestDB's last accepted rates, or a saved state) and `firstSeen` (minute by code). */
export function makeReplayNormalizer(opts: { previous: PreviousState; firstSeen: Map<string, number> }) {
  const previous = previousMaps(opts.previous);
  const firstSeen = opts.firstSeen;
  return {
    normalizeMinute(minute: number, envelopes: RawEnvelope[]): MinuteOutput {
      // Keyed like the DEDUP keys: of two envelopes giving one key the later stands, as in QuestDB.
      const polls = new Map<string, Poll>();
      const rates = new Map<string, Rate[][]>(); // source → the rates of each of its envelopes
      const rejections: MinuteOutput['rejections'] = [];
      const sighted = new Map<string, { fetchedAt: number; source: string }>();
      const candles: Rate[] = [];
      for (const env of envelopes) {
        if (env.candles) {
          candles.push(...candleRates(env).rates);
          continue;
        }
        let prev = previous.get(env.source);
        if (!prev) previous.set(env.source, (prev = new Map()));
        const n = normalize(env, adapterFor(env.source), prev);
        advance(prev, n.rates);
        polls.set(pollKey(n.poll), n.poll);
        const fetchedAt = Date.parse(env.fetchedAt);
        rates.set(env.source, [...(rates.get(env.source) ?? []), n.rates]);
        for (const r of n.rates) {
          const known = firstSeen.get(r.currency);
          if (known !== undefined && minute >= known) continue;
          const s = sighted.get(r.currency);
          if (!s || fetchedAt < s.fetchedAt) sighted.set(r.currency, { fetchedAt, source: env.source });
        }
        rejections.push(...rejectionRows(n.poll, n.rejections));
      }
      const currencies: Currency[] = [];
      for (const [code, s] of sighted) {
        firstSeen.set(code, minute);
        currencies.push(describeCurrency(code, minute, s.source));
      }
      const all: Rate[] = [];
      for (const lists of rates.values())
        if (lists.length === 1) all.push(...lists[0]!);
        else all.push(...new Map(lists.flat().map((r) => [r.currency, r])).values());
      return { minute, polls: [...polls.values()], rates: all, candles, currencies, rejections };
    },
    /** The jump-check memory as data (to save with the progress). */
    state(): PreviousState {
      const out: PreviousState = {};
      for (const [s, m] of previous) out[s] = Object.fromEntries(m);
      return out;
    },
  };
}
