/**
 * The soak's fault schedule: a pure function of (minutes, seed), so the same seed strikes the same faults at the
 * same simulated minutes. Faults are spread evenly over the run, never in its first hour (the forecaster needs an
 * hour of data) nor its last minutes (the system needs time to settle before the checks), and outages of the
 * two targets never overlap each other, so every outage is one clean story in the logs.
 */
import type { SourceName } from '../../common/types.ts';
import { mulberry32 } from '../../forecast/gp/index.ts';

export type FaultKind =
  | 'questdb-down'
  | 'emulator-down'
  | 'api-5xx'
  | 'api-429'
  | 'api-hang'
  | 'api-garbage'
  | 'poller-kill'
  | 'second-poller'
  | 'spool-pressure';

export const FAULT_KINDS: readonly FaultKind[] = [
  'questdb-down',
  'emulator-down',
  'api-5xx',
  'api-429',
  'api-hang',
  'api-garbage',
  'poller-kill',
  'second-poller',
  'spool-pressure',
];

export type FaultEvent = {
  /** Simulated minute index from the start at which the fault strikes. */
  at: number;
  kind: FaultKind;
  /**
   * For outages and the second poller: how many minutes it lasts. For spool-pressure: the most it may last (it
   * ends as soon as the spool is near its bound).
   */
  minutes: number;
  source: SourceName;
  /** For api-garbage: which garbage. */
  variant: 'truncated' | 'malformed' | 'html';
};

const SOURCES: SourceName[] = ['blockchain', 'coinbase', 'coingecko', 'coindesk'];
const WARMUP = 62;
/** The longest a spool-pressure fault may take to bring its spool near the bound. */
export const PRESSURE_MAX_MINUTES = 30;
const SETTLE = 15;

/**
 * Faults for a run of `minutes`: each kind `perKind` times (at least 1; more for longer runs when not given),
 * at distinct minutes between the warm-up and the settling tail.
 */
export function makeSchedule(minutes: number, seed: number, perKind?: number, warmup = WARMUP): FaultEvent[] {
  // Seeded, never Math.random: the same seed must give the same schedule.
  const rnd = mulberry32(seed);
  const span = minutes - warmup - SETTLE;
  if (span < FAULT_KINDS.length * 6)
    throw new Error(`a soak needs at least ${warmup + SETTLE + FAULT_KINDS.length * 6} minutes`);
  const per = perKind ?? Math.max(1, Math.min(6, Math.floor(span / (FAULT_KINDS.length * 20))));
  const slots = FAULT_KINDS.length * per;
  const stride = span / slots;
  // Kinds in a seeded shuffled order, each repeated `per` times, one per slot.
  const kinds: FaultKind[] = [];
  for (let r = 0; r < per; r++) {
    const order = [...FAULT_KINDS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    kinds.push(...order);
  }
  return kinds.map((kind, i) => {
    const at = warmup + Math.floor(i * stride + rnd() * Math.max(1, stride / 3));
    const outage = kind === 'questdb-down' || kind === 'emulator-down' || kind === 'second-poller';
    return {
      at,
      kind,
      // Outages end well before the next slot starts. A second poller runs long enough to start up and overlap
      // (a process start takes seconds of real time: minutes of simulated time at 60x). Spool pressure gets
      // room to fill its spool (it runs beside the other faults, on a poller and spool of its own).
      minutes:
        kind === 'spool-pressure'
          ? Math.min(PRESSURE_MAX_MINUTES, minutes - SETTLE - at - 1)
          : outage
            ? Math.max(
                kind === 'second-poller' ? 8 : 2,
                Math.min(Math.floor(stride / 2), 2 + Math.floor(rnd() * 4)),
              )
            : 0,
      source: SOURCES[Math.floor(rnd() * SOURCES.length)]!,
      variant: (['truncated', 'malformed', 'html'] as const)[Math.floor(rnd() * 3)]!,
    };
  });
}

/** How many faults of each kind a schedule holds. */
export function countKinds(events: FaultEvent[]): Record<FaultKind, number> {
  const out = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const e of events) out[e.kind]++;
  return out;
}
