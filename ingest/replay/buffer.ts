/**
 * Envelopes read from the archive, held by minute until no later object can add to that minute, then handed out
 * oldest minute first in a fixed order, each envelope once. Objects are read in arrival order, so a minute is
 * complete once the reader has passed its arrival deadline (see `arrivalDeadline`). Pure.
 */
import type { RawEnvelope } from '../archive/envelope.ts';

export type MinuteGroup = { minute: number; envelopes: RawEnvelope[] };

/**
 * The order normalization sees: by source, then attempt, fetch time and id — for one source that is the order
 * the poller made its calls in, and the id settles two pollers' calls deterministically.
 */
export function compareEnvelopes(a: RawEnvelope, b: RawEnvelope): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.attempt !== b.attempt) return a.attempt - b.attempt;
  if (a.fetchedAt !== b.fetchedAt) return Date.parse(a.fetchedAt) - Date.parse(b.fetchedAt);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export type MinuteBuffer = {
  /** Hold an envelope; false when its id is already held (a re-sent batch repeats envelopes). */
  add(envelope: RawEnvelope, minute: number): boolean;
  /** Hand out, oldest first, every held minute before `limit`. */
  takeBefore(limit: number): MinuteGroup[];
  /** Hand out everything held. */
  takeAll(): MinuteGroup[];
  /** Envelopes held. */
  readonly size: number;
};

export function makeMinuteBuffer(): MinuteBuffer {
  const byMinute = new Map<number, Map<string, RawEnvelope>>();
  let size = 0;
  const take = (limit: number): MinuteGroup[] => {
    const minutes = [...byMinute.keys()].filter((m) => m < limit).sort((a, b) => a - b);
    return minutes.map((minute) => {
      const held = byMinute.get(minute) as Map<string, RawEnvelope>;
      byMinute.delete(minute);
      size -= held.size;
      return { minute, envelopes: [...held.values()].sort(compareEnvelopes) };
    });
  };
  return {
    add(envelope, minute) {
      let held = byMinute.get(minute);
      if (!held) byMinute.set(minute, (held = new Map()));
      if (held.has(envelope.id)) return false;
      held.set(envelope.id, envelope);
      size++;
      return true;
    },
    takeBefore: take,
    takeAll: () => take(Infinity),
    get size() {
      return size;
    },
  };
}
