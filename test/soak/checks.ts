/**
 * The soak's end checks, each a comparison of what the system holds with what the fake actually served (or with
 * what the test computes itself), reporting its differences so a failure points at its cause.
 */
import { adapterFor } from '../../ingest/sources/index.ts';
import { bodyBytes, type RawEnvelope } from '../../ingest/archive/envelope.ts';
import type { Db } from '../../sql/db.ts';
import type { ServedResponse } from '../../fakes/server.ts';

export type Check = { name: string; ok: boolean; detail: string; differences: string[] };

const iso = (ms: number) => new Date(ms).toISOString();
const sample = (xs: string[], n = 8) => xs.slice(0, n);

type RateRow = { ts: Date; source: string; currency: string; rate: number };

/**
 * The minute each served response was archived under. A poll is labelled with its scheduled minute; on a loaded
 * machine running an accelerated clock, a request can reach the fake after the next minute began, and the fake
 * then serves that minute's prices. What must hold is that every served response is archived and stored under
 * the label its poller gave it, so responses are matched to envelopes by source and exact body.
 */
export function archivedMinutes(
  served: ServedResponse[],
  envelopes: RawEnvelope[],
): Map<ServedResponse, number> {
  const pool = new Map<string, number[]>();
  for (const e of envelopes) {
    if (e.status === 0) continue;
    const k = `${e.source} ${bodyBytes(e).toString('base64')}`;
    pool.set(k, [...(pool.get(k) ?? []), Date.parse(e.minute)]);
  }
  const out = new Map<ServedResponse, number>();
  for (const s of served) {
    const list = pool.get(`${s.source} ${Buffer.from(s.body).toString('base64')}`);
    // Several pollers can be served the same body for one minute: take the closest label.
    if (list?.length) {
      list.sort((a, b) => Math.abs(a - s.minute) - Math.abs(b - s.minute));
      out.set(s, list.shift()!);
    }
  }
  return out;
}

/**
 * Responses the fake wrote just as their client gave up. On a loaded machine a request can time out while the
 * fake is writing its answer: the fake counts as served what the poller never read. The poller's own record
 * says so, an envelope of that source without a response ("no complete response within …"). Each such envelope
 * excuses at most one served response that nothing archived matches: of its source, served after the request
 * began, of the envelope's minute or the next (a late request gets the next minute's prices).
 */
export function abandonedResponses(
  served: ServedResponse[],
  envelopes: RawEnvelope[],
  labels: Map<ServedResponse, number>,
): Set<ServedResponse> {
  const out = new Set<ServedResponse>();
  const unmatched = served.filter((s) => !labels.has(s));
  for (const e of envelopes) {
    if (e.status !== 0 || !e.error?.startsWith('no complete response')) continue;
    const minute = Date.parse(e.minute);
    const s = unmatched.find(
      (x) =>
        !out.has(x) &&
        x.source === e.source &&
        x.minute >= minute &&
        x.minute <= minute + 60_000 &&
        x.at >= Date.parse(e.fetchedAt),
    );
    if (s) out.add(s);
  }
  return out;
}

/** Every minute the fake served a valid rate is in `rates` exactly once per (source, currency), with its value. */
export async function checkRates(
  db: Db,
  served: ServedResponse[],
  labels: Map<ServedResponse, number>,
  from: number,
  to: number,
): Promise<Check> {
  const expected = new Map<string, number>();
  for (const s of served) {
    const minute = labels.get(s) ?? s.minute;
    if (!s.valid || minute < from || minute >= to) continue;
    for (const r of adapterFor(s.source).parse({ status: s.status, headers: s.headers, body: s.body }).rates)
      expected.set(`${iso(minute)} ${s.source} ${r.currency}`, r.rate);
  }
  const rows = await db.query<RateRow>(
    `SELECT ts, source, currency, rate FROM rates WHERE ts >= $1 AND ts < $2`,
    [iso(from), iso(to)],
  );
  const got = new Map<string, number>();
  const doubled: string[] = [];
  for (const r of rows) {
    const k = `${iso(r.ts.getTime())} ${r.source} ${r.currency}`;
    if (got.has(k)) doubled.push(`doubled: ${k} (DEDUP keys missing?)`);
    got.set(k, r.rate);
  }
  const missing = [...expected.keys()].filter((k) => !got.has(k)).map((k) => `missing: ${k}`);
  const extra = [...got.keys()].filter((k) => !expected.has(k)).map((k) => `not served: ${k}`);
  const wrong = [...expected.entries()]
    .filter(([k, v]) => got.has(k) && got.get(k) !== v)
    .map(([k, v]) => `value: ${k} expected ${v} got ${got.get(k)}`);
  const differences = [...doubled, ...missing, ...extra, ...wrong];
  return {
    name: 'rates: every served valid minute exactly once',
    ok: differences.length === 0,
    detail: `${expected.size} expected, ${rows.length} rows; ${doubled.length} doubled, ${missing.length} missing, ${extra.length} unexpected, ${wrong.length} wrong`,
    differences: sample(differences),
  };
}

/** Every response the fake served is in S3 exactly once, byte-identical. */
export function checkArchive(
  served: ServedResponse[],
  envelopes: RawEnvelope[],
  labels: Map<ServedResponse, number>,
  from: number,
  to: number,
  /** Served responses left out as abandoned by their client (see `abandonedResponses`), for the report. */
  abandoned = 0,
): Check {
  const ids = new Map<string, number>();
  for (const e of envelopes) ids.set(e.id, (ids.get(e.id) ?? 0) + 1);
  const dupIds = [...ids.entries()]
    .filter(([, n]) => n > 1)
    .map(([id, n]) => `envelope ${id} stored ${n} times`);
  const inRun = served.filter((s) => s.minute >= from && s.minute < to);
  const unarchived = inRun
    .filter((s) => !labels.has(s))
    .map(
      (s) =>
        `served but not archived: ${s.source} ${iso(s.minute)} status ${s.status}${s.fault ? ` (${s.fault})` : ''}`,
    );
  const matched = inRun.length - unarchived.length;
  const answered = envelopes.filter((e) => e.status !== 0).length;
  const surplus =
    answered > labels.size ? [`${answered - labels.size} archived responses match nothing served`] : [];
  const differences = [...dupIds, ...unarchived, ...surplus];
  return {
    name: 'S3: every served response exactly once, byte-identical',
    ok: differences.length === 0,
    detail: `${matched} served responses matched; ${envelopes.length} envelopes; ${dupIds.length} duplicate ids, ${unarchived.length} unarchived, ${surplus.length ? answered - labels.size : 0} surplus${abandoned ? `; ${abandoned} abandoned by their client as the fake answered` : ''}`,
    differences: sample(differences),
  };
}

/** Every rejected payload the fake served is in `polls` with its reason. */
export async function checkRejections(
  db: Db,
  served: ServedResponse[],
  labels: Map<ServedResponse, number>,
  from: number,
  to: number,
): Promise<Check> {
  const rows = await db.query<{ ts: Date; source: string; http_status: number; reason: string | null }>(
    `SELECT ts, source, http_status, reason FROM polls WHERE ts >= $1 AND ts < $2 AND accepted = 0`,
    [iso(from), iso(to)],
  );
  const have = new Map<string, number>();
  for (const r of rows) {
    if (!r.reason) continue;
    const k = `${r.source} ${iso(r.ts.getTime())} ${r.http_status}`;
    have.set(k, (have.get(k) ?? 0) + 1);
  }
  const rejected = served.filter((s) => !s.valid && s.minute >= from && s.minute < to);
  const missing: string[] = [];
  for (const s of rejected) {
    const k = `${s.source} ${iso(labels.get(s) ?? s.minute)} ${s.status}`;
    const n = have.get(k) ?? 0;
    if (n > 0) have.set(k, n - 1);
    else missing.push(`no polls row with a reason for ${k} (${s.fault ?? 'invalid'})`);
  }
  return {
    name: 'polls: every rejected payload with its reason',
    ok: missing.length === 0,
    detail: `${rejected.length} rejected payloads served, ${missing.length} without a polls row`,
    differences: sample(missing),
  };
}

type Agg = { min: number; max: number; sum: number; count: number; first: number; last: number };

/** The 1-hour and 1-day views equal the aggregates computed here from the raw rows. */
export async function checkViews(db: Db, from: number, to: number): Promise<Check> {
  const rows = await db.query<RateRow>(
    `SELECT ts, source, currency, rate FROM rates WHERE ts >= $1 AND ts < $2 ORDER BY ts`,
    [iso(from), iso(to)],
  );
  const differences: string[] = [];
  let compared = 0;
  for (const [view, bucket] of [
    ['rates_1h', 3_600_000],
    ['rates_1d', 86_400_000],
  ] as const) {
    const mine = new Map<string, Agg>();
    for (const r of rows) {
      const b = Math.floor(r.ts.getTime() / bucket) * bucket;
      const k = `${iso(b)} ${r.source} ${r.currency}`;
      const a = mine.get(k);
      if (!a) mine.set(k, { min: r.rate, max: r.rate, sum: r.rate, count: 1, first: r.rate, last: r.rate });
      else {
        a.min = Math.min(a.min, r.rate);
        a.max = Math.max(a.max, r.rate);
        a.sum += r.rate;
        a.count++;
        a.last = r.rate;
      }
    }
    const lo = Math.floor(from / bucket) * bucket;
    const vrows = await db.query<{
      ts: Date;
      source: string;
      currency: string;
      min_rate: number;
      max_rate: number;
      avg_rate: number;
      count: string | number;
    }>(
      `SELECT ts, source, currency, min_rate, max_rate, avg_rate, count FROM ${view} WHERE ts >= $1 AND ts < $2`,
      [iso(lo), iso(to)],
    );
    const theirs = new Map(vrows.map((v) => [`${iso(v.ts.getTime())} ${v.source} ${v.currency}`, v]));
    for (const [k, a] of mine) {
      // Buckets cut by the run's edges hold rows from outside it: compare whole buckets only.
      const start = Date.parse(k.split(' ')[0]!);
      if (start < from || start + bucket > to) continue;
      compared++;
      const v = theirs.get(k);
      if (!v) {
        differences.push(`${view}: no row for ${k}`);
        continue;
      }
      const mean = a.sum / a.count;
      if (
        v.min_rate !== a.min ||
        v.max_rate !== a.max ||
        Number(v.count) !== a.count ||
        Math.abs(v.avg_rate - mean) > 1e-9 * Math.abs(mean)
      )
        differences.push(
          `${view} ${k}: view min/max/avg/count ${v.min_rate}/${v.max_rate}/${v.avg_rate}/${v.count}, rows ${a.min}/${a.max}/${mean}/${a.count}`,
        );
    }
  }
  return {
    name: 'views: rates_1h and rates_1d equal aggregates of the raw rows',
    ok: differences.length === 0,
    detail: `${compared} whole buckets compared, ${differences.length} differ`,
    differences: sample(differences),
  };
}

/** A forecast exists for every minute that had an hour of data (per forecast series), and scoring covered them. */
export async function checkForecasts(db: Db, sources: string[], from: number, to: number): Promise<Check> {
  const differences: string[] = [];
  const firstOrigin = from + 60 * 60_000;
  const lastOrigin = to - 2 * 60_000;
  const rates = await db.query<{ source: string; currency: string; ts: Date }>(
    `SELECT source, currency, ts FROM rates WHERE ts >= $1 AND ts < $2`,
    [iso(from), iso(to)],
  );
  const bySeries = new Map<string, number[]>();
  for (const r of rates) {
    if (!sources.includes(r.source)) continue;
    const k = `${r.source} ${r.currency}`;
    bySeries.set(k, [...(bySeries.get(k) ?? []), r.ts.getTime()]);
  }
  const made = await db.query<{ source: string; currency: string; made_at: Date }>(
    `SELECT DISTINCT source, currency, made_at FROM forecasts WHERE model = 'persistence' AND ts >= $1 AND ts < $2`,
    [iso(firstOrigin), iso(to + 11 * 60_000)],
  );
  const have = new Set(made.map((m) => `${m.source} ${m.currency} ${iso(m.made_at.getTime())}`));
  let expected = 0;
  for (const [series, times] of bySeries) {
    times.sort((a, b) => a - b);
    for (let o = firstOrigin; o <= lastOrigin; o += 60_000) {
      // The forecaster needs 10 points in the hour before the origin and a rate within its last 10 minutes.
      const inHour = times.filter((t) => t > o - 3_600_000 && t <= o);
      if (inHour.length < 10 || o - inHour[inHour.length - 1]! > 10 * 60_000) continue;
      expected++;
      if (!have.has(`${series} ${iso(o)}`)) differences.push(`no forecast for ${series} made at ${iso(o)}`);
    }
  }
  const scores = await db.query<{ n: string | number }>(
    `SELECT n FROM forecast_scores WHERE ts >= $1 AND ts <= $2`,
    [iso(firstOrigin), iso(to + 60 * 60_000)],
  );
  if (expected > 0 && scores.length === 0) differences.push('forecast_scores is empty: scoring never ran');
  return {
    name: 'forecasts: every minute with an hour of data, and scored',
    ok: differences.length === 0,
    detail: `${expected} (series, minute) origins expected, ${differences.length} missing; ${scores.length} score rows`,
    differences: sample(differences),
  };
}

/** The fields of a poller's log record the soak reads. */
type PollRecord = { msg?: string; minute?: string; source?: string; store?: string };

/** A service's log line (`<service> | <pino JSON>`) as its service and record; null when it is not one. */
export function logRecord(line: string): { service: string; record: PollRecord } | null {
  const bar = line.indexOf(' | ');
  if (bar < 0) return null;
  try {
    return { service: line.slice(0, bar), record: JSON.parse(line.slice(bar + 3)) as PollRecord };
  } catch {
    return null; // a line that is not a log record
  }
}

/** The POLLER_ID each service's poller runs as (the pressure pollers are named after theirs). */
const POLLER_IDS: Record<string, string> = { poller: 'main', 'poller-2': 'second' };

/**
 * The polls a poller logged as lost on the way to QuestDB (`store: "lost"`: the spool was full), as
 * `minute|source|poller`. Their envelopes are in S3, so a replay brings back polls rows the live run never had.
 */
export function lostPolls(lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const line of lines) {
    if (!line.includes('"store":"lost"')) continue;
    const r = logRecord(line);
    if (r?.record.msg === 'polled' && typeof r.record.minute === 'string')
      out.add(`${r.record.minute}|${r.record.source}|${POLLER_IDS[r.service] ?? r.service}`);
  }
  return out;
}
