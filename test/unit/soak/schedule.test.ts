import { describe, expect, it } from 'vitest';
import { countKinds, FAULT_KINDS, makeSchedule } from '../../soak/schedule.ts';

describe('soak fault schedule', () => {
  it('is a pure function of (minutes, seed)', () => {
    expect(makeSchedule(1440, 7)).toEqual(makeSchedule(1440, 7));
    expect(makeSchedule(1440, 7)).not.toEqual(makeSchedule(1440, 8));
  });

  it('strikes every kind at least 3 times in 24 simulated hours', () => {
    const counts = countKinds(makeSchedule(1440, 1));
    for (const k of FAULT_KINDS) expect(counts[k], k).toBeGreaterThanOrEqual(3);
  });

  it('keeps the first hour and the last minutes free, and outages apart', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = makeSchedule(600, seed);
      for (const e of s) {
        expect(e.at).toBeGreaterThanOrEqual(62);
        expect(e.at + e.minutes).toBeLessThan(600 - 10);
      }
      // Spool pressure runs on a poller and spool of its own, beside the other faults.
      const outages = s
        .filter((e) => e.minutes > 0 && e.kind !== 'spool-pressure')
        .sort((a, b) => a.at - b.at);
      for (let i = 1; i < outages.length; i++)
        expect(outages[i]!.at, `seed ${seed}`).toBeGreaterThan(outages[i - 1]!.at + outages[i - 1]!.minutes);
    }
  });

  it('gives spool pressure time to fill its spool', () => {
    for (const e of makeSchedule(1440, 1).filter((x) => x.kind === 'spool-pressure'))
      expect(e.minutes).toBeGreaterThanOrEqual(15);
  });

  it('refuses a run too short to hold its faults', () => {
    expect(() => makeSchedule(80, 1)).toThrow(/at least/);
  });
});
