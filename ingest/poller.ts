/**
 * The poller: once per interval, aligned to the clock, every configured source is called for the scheduled
 * minute. Each attempt's raw response is archived first (the source of truth), then normalized into `polls`,
 * `rates`, `rejections` and new `currencies` rows for QuestDB. A poll ends before the next one is due.
 */
import type { Log } from '../common/log.ts';
import type { Clock, Currency, Poll, Rate, RejectionRow, SourceName } from '../common/types.ts';
import { floorToMinute } from '../common/clock.ts';
import { makeEnvelopes, type RawEnvelope } from './archive/envelope.ts';
import { describeCurrency } from './currencies.ts';
import type { Delivery, Outcome } from './delivery.ts';
import { parseRetryAfter, type Http } from './http.ts';
import { advance, normalize, rejectionRows, type Previous } from './normalize.ts';
import type { SourceAdapter } from './sources/index.ts';
import type { Batch } from './store.ts';

export type PolledSource = {
  name: SourceName;
  adapter: SourceAdapter;
  url: string;
  headers: Record<string, string>;
};

export type PollSummary = {
  source: SourceName;
  minute: number;
  attempts: number;
  status: number;
  accepted: number;
  rejected: number;
  archive: Outcome;
  store: Outcome;
};

export type PollerDeps = {
  sources: PolledSource[];
  http: Http;
  archive: Delivery<RawEnvelope[]>;
  store: Delivery<Batch>;
  clock: Clock;
  log: Log;
  pollerId: string;
  intervalMs: number;
  /** Codes already in `currencies`; grows as new codes are written. */
  knownCurrencies: Set<string>;
  /** Last accepted rate per source and currency, for the jump check; advanced by every poll. */
  previous: Map<string, Map<string, Previous>>;
  /** Called after each round of polls (e.g. to report the spool's depth). */
  afterRound?: (minute: number) => Promise<void>;
};

/** Time left after a poll's HTTP work for archiving and writing before the next poll is due. */
const DELIVERY_MARGIN_MS = 5_000;

/** After HTTP 451 (refused to this location) a source is asked again only this much later. */
export const UNAVAILABLE_RETRY_MS = 60 * 60_000;

/**
 * Until when a source's last answer of the poll scheduled at `scheduled` asks not to be polled (451: the same
 * minute an hour later; 429/418/503: its Retry-After), else null.
 */
export function holdUntil(last: RawEnvelope | undefined, scheduled: number): number | null {
  if (last === undefined) return null;
  if (last.status === 451) return scheduled + UNAVAILABLE_RETRY_MS;
  const at = Date.parse(last.fetchedAt);
  const wait = [418, 429, 503].includes(last.status)
    ? parseRetryAfter(last.headers['retry-after'], at)
    : null;
  return wait === null ? null : at + wait;
}

export function makePoller(deps: PollerDeps) {
  const { clock, log } = deps;
  const held = new Map<SourceName, number>();

  async function pollSource(src: PolledSource, scheduled: number, stop?: AbortSignal): Promise<PollSummary> {
    const minute = floorToMinute(scheduled);
    const deadline = scheduled + deps.intervalMs - DELIVERY_MARGIN_MS;
    const attempts = await deps.http.fetchAttempts(src.url, src.headers, deadline, stop);
    const envelopes = makeEnvelopes({
      source: src.name,
      url: src.url,
      minute,
      attempts,
      poller: deps.pollerId,
    });
    const archive = await deps.archive.deliver(envelopes);

    const prev = deps.previous.get(src.name) ?? new Map<string, Previous>();
    deps.previous.set(src.name, prev);
    const polls: Poll[] = [];
    const rates: Rate[] = [];
    const currencies: Currency[] = [];
    const rejections: RejectionRow[] = [];
    for (const env of envelopes) {
      const n = normalize(env, src.adapter, prev);
      polls.push(n.poll);
      rejections.push(...rejectionRows(n.poll, n.rejections));
      advance(prev, n.rates);
      for (const r of n.rates) {
        rates.push(r);
        if (!deps.knownCurrencies.has(r.currency)) {
          deps.knownCurrencies.add(r.currency);
          currencies.push(describeCurrency(r.currency, minute, src.name));
        }
      }
      if (n.poll.rejected > 0)
        log.warn(
          {
            source: src.name,
            minute: env.minute,
            attempt: env.attempt,
            status: env.status,
            reason: n.poll.reason,
          },
          n.poll.error.slice(0, 300),
        );
    }
    const store = await deps.store.deliver({ polls, rates, currencies, rejections });
    const last = envelopes[envelopes.length - 1];
    const hold = holdUntil(last, scheduled);
    if (hold === null) held.delete(src.name);
    else {
      held.set(src.name, hold);
      log.warn(
        { source: src.name, status: last?.status, until: new Date(hold).toISOString() },
        'holding polls',
      );
    }
    const summary: PollSummary = {
      source: src.name,
      minute,
      attempts: envelopes.length,
      status: last?.status ?? 0,
      accepted: rates.length,
      rejected: polls.reduce((a, p) => a + p.rejected, 0),
      archive,
      store,
    };
    log.info({ ...summary, minute: new Date(minute).toISOString() }, 'polled');
    return summary;
  }

  /** Poll every source not on hold for one scheduled time, in parallel; never throws. */
  async function pollRound(scheduled: number, stop?: AbortSignal): Promise<PollSummary[]> {
    const due = deps.sources.filter((s) => (held.get(s.name) ?? -Infinity) <= scheduled);
    const results = await Promise.all(
      due.map((s) =>
        pollSource(s, scheduled, stop).catch((err: unknown) => {
          log.error({ source: s.name, err }, 'poll failed unexpectedly');
          return null;
        }),
      ),
    );
    if (deps.afterRound) await deps.afterRound(floorToMinute(scheduled)).catch(() => {});
    return results.filter((r): r is PollSummary => r !== null);
  }

  /**
   * Poll on every interval boundary until `signal` aborts. On start, the current interval is polled at once when
   * less than three quarters of it have passed (a restart mid-minute does not lose that minute; a duplicate poll
   * of it is harmless, the DEDUP keys collapse it).
   */
  async function run(signal: AbortSignal): Promise<void> {
    const every = deps.intervalMs;
    /** The interval to poll at `now`: the one under way if less than 3/4 of it has passed, else the next. */
    const firstDue = (now: number) => {
      const current = Math.floor(now / every) * every;
      return now - current > (every * 3) / 4 ? current + every : current;
    };
    let next = firstDue(clock.now());
    while (!signal.aborted) {
      const wait = next - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal.aborted) break;
      await pollRound(next, signal);
      const due = next + every;
      // After an overrun (a stalled machine, slow targets), intervals that passed entirely are skipped, not polled
      // late; the one under way is polled at once by the same rule as at start.
      next = Math.max(due, firstDue(clock.now()));
      if (next > due)
        log.warn({ skipped: (next - due) / every }, 'poll rounds skipped: the previous round overran');
    }
  }

  return { pollSource, pollRound, run };
}

export type Poller = ReturnType<typeof makePoller>;
