import type { Clock } from '../../common/types.ts';

/** A clock that only moves when told to, or when slept on: an hour of polls runs in milliseconds. */
export function makeManualClock(start: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
    },
    set: (ms) => (t = ms),
    advance: (ms) => (t += ms),
  };
}
