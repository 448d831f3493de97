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

/** A clock `speed` times the wall clock's, reading `simStart` at `realStart`: processes given these agree. */
export function makeScaledClock(opts: { speed: number; simStart: number; realStart: number }): Clock {
  const { speed, simStart, realStart } = opts;
  return {
    now: () => simStart + (Date.now() - realStart) * speed,
    sleep: (ms, signal) => systemClock.sleep(ms / speed, signal),
    realMs: (ms) => ms / speed,
  };
}

/** The clock a service runs on: the wall clock, or a scaled one when CLOCK_SPEED is not 1. */
export function clockFromConfig(config: {
  CLOCK_SPEED: number;
  CLOCK_SIM_START: string;
  CLOCK_REAL_START: number;
}): Clock {
  if (config.CLOCK_SPEED === 1 && !config.CLOCK_SIM_START) return systemClock;
  const realStart = config.CLOCK_REAL_START || Date.now();
  const simStart = config.CLOCK_SIM_START ? Date.parse(config.CLOCK_SIM_START) : realStart;
  return makeScaledClock({ speed: config.CLOCK_SPEED, simStart, realStart });
}
