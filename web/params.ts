/**
 * Query parameters to typed values or one ParamError (400) naming every problem, before any SQL runs. Unknown
 * or repeated parameters are refused too, so a typo is reported rather than ignored. Pure.
 */
import { z } from 'zod';
import { BEFORE_GENESIS, describeRefusal, GENESIS_MS, parseIsoTime } from '../common/time.ts';
import { ROLLING_WINDOWS } from '../sql/analytics.ts';

/** A request the dashboard refuses with 400 and this message. */
export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

export const MAX_PARAM_LENGTH = 64;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Preset ranges, ending now. */
export const RANGES = {
  '1h': HOUR,
  '6h': 6 * HOUR,
  '1d': DAY,
  '7d': 7 * DAY,
  '30d': 30 * DAY,
  '90d': 90 * DAY,
  '1y': 365 * DAY,
} as const;
export type RangeName = keyof typeof RANGES;
export const RANGE_LABELS: Record<RangeName | 'custom', string> = {
  '1h': 'last hour',
  '6h': 'last 6 hours',
  '1d': 'last day',
  '7d': 'last week',
  '30d': 'last 30 days',
  '90d': 'last 90 days',
  '1y': 'last year',
  custom: 'chosen range (from / to)',
};

export const GRAINS = ['hour', 'day'] as const;
export type Grain = (typeof GRAINS)[number];
/** The forecast page's refresh periods in seconds (short ones for tests and demos). */
export const REFRESH_SECONDS = ['5', '15', '30', '60'] as const;
export const FORMATS = ['json', 'csv'] as const;

const text = (what: string) =>
  z.string().max(MAX_PARAM_LENGTH, `${what} is longer than ${MAX_PARAM_LENGTH} characters`);
const token = (what: string) =>
  text(what).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} must be letters, digits, ".", "_" or "-"`);

const oneOf = <T extends string>(what: string, values: readonly T[]) =>
  z.enum(values as [T, ...T[]], { error: `${what} must be one of ${values.join(', ')}` });

/** An ISO date or date-time (UTC unless it carries a zone) as epoch ms, or a ParamError naming the parameter. */
function instant(text: string, what: string): number {
  const t = parseIsoTime(text);
  if (!t.ok) throw new ParamError(describeRefusal(what, text, t.reason));
  return t.ms;
}

const FIELDS = {
  source: token('source'),
  currency: token('currency'),
  range: oneOf('range', [...(Object.keys(RANGES) as RangeName[]), 'custom']),
  from: text('from'),
  to: text('to'),
  grain: oneOf('grain', GRAINS),
  window: oneOf('window', ROLLING_WINDOWS),
  refresh: oneOf('refresh', REFRESH_SECONDS),
  format: oneOf('format', FORMATS),
} as const;
type FieldName = keyof typeof FIELDS;
type Parsed<K extends FieldName> = { [P in K]?: z.output<(typeof FIELDS)[P]> };

/** The `allowed` parameters of `query`, each at most once, valid and non-empty; all problems in one error. */
export function parseQuery<K extends FieldName>(query: URLSearchParams, allowed: readonly K[]): Parsed<K> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [name, value] of query) {
    const shownName = name.length > MAX_PARAM_LENGTH ? `${name.slice(0, 20)}...` : name;
    if (!(allowed as readonly string[]).includes(name)) {
      const known = allowed.length ? `allowed: ${allowed.join(', ')}` : 'this takes none';
      problems.push(`unknown parameter "${shownName}"; ${known}`);
      continue;
    }
    if (seen.has(name)) {
      problems.push(`parameter "${name}" given more than once`);
      continue;
    }
    seen.add(name);
    if (value === '') {
      // A cleared date input sends from / to empty: that counts as absent.
      if (name !== 'from' && name !== 'to') problems.push(`${name} is empty; leave it out for the default`);
      continue;
    }
    const r = FIELDS[name as FieldName].safeParse(value);
    if (r.success) out[name] = r.data;
    else problems.push(r.error.issues.map((i) => i.message).join('; '));
  }
  if (problems.length > 0) throw new ParamError(problems.join('; '));
  return out as Parsed<K>;
}

/** A resolved time range [from, to) in epoch ms, and how it was chosen (for the form). */
export type TimeRange = { from: number; to: number; range: RangeName | 'custom' };

/** A preset ending at `now` (rounded up to the minute), or both `from` and `to`; both at once are refused. */
export function parseRange(
  p: { range?: RangeName | 'custom'; from?: string; to?: string },
  now: number,
  fallback: RangeName,
): TimeRange {
  const from = p.from === undefined ? undefined : instant(p.from, 'from');
  const to = p.to === undefined ? undefined : instant(p.to, 'to');
  const end = Math.ceil(now / MIN) * MIN;
  const bounded = from !== undefined || to !== undefined;
  if (p.range !== undefined && p.range !== 'custom' && bounded)
    throw new ParamError(
      `range=${p.range} contradicts from / to: give a preset range, or from and to (with range=custom or no range)`,
    );
  if (p.range !== 'custom' && !bounded) {
    const range = (p.range as RangeName | undefined) ?? fallback;
    return { from: end - RANGES[range], to: end, range };
  }
  if (from === undefined || to === undefined)
    throw new ParamError('a chosen range needs both from and to (ISO dates, UTC)');
  if (from >= to) throw new ParamError('from must be before to');
  if (from < GENESIS_MS) throw new ParamError(`from is ${BEFORE_GENESIS}`);
  if (to > now + DAY) throw new ParamError('to is more than a day in the future');
  if (to - from > 3660 * DAY) throw new ParamError('a range may span at most 10 years');
  return { from, to, range: 'custom' };
}

/** The hourly grain reads at most 92 days (about 2,200 buckets); longer ranges must use the daily grain. */
export function checkGrainSpan(grain: Grain, range: TimeRange): void {
  if (grain === 'hour' && range.to - range.from > 92 * DAY)
    throw new ParamError('hourly aggregates cover at most 92 days; choose grain=day for a longer range');
}
