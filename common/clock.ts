import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './types.ts';

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal ? { signal } : undefined);
    } catch (err) {
      if ((err as { name?: string }).name !== 'AbortError') throw err;
    }
  },
};

/** Start of the minute containing `ms`, in epoch milliseconds UTC. */
export function floorToMinute(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}
