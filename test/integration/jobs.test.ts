/**
 * The scheduler's storage and the view-health job on the real QuestDB: runs recorded idempotently in job_runs,
 * catch-up resuming from them after a restart, and stale or invalidated views brought back to current.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { makeLogger } from '../../common/log.ts';
import type { Clock } from '../../common/types.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeRunStore } from '../../jobs/run-store.ts';
import { makeRunner, type Job } from '../../jobs/runner.ts';
import { makeViewHealth, readViewStates, type ViewSpec } from '../../jobs/view-health.ts';
import { makeManualClock } from '../support/clocks.ts';
import { exec, testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 2);
const ilp = await makeIlp(config);
const store = makeRunStore(db, ilp);
const log = makeLogger('jobs-test', 'silent');
const suffix = randomUUID().slice(0, 8);
const H = 3_600_000;
const T0 = Date.parse('2024-06-01T00:00:00Z');
afterAll(async () => {
  await ilp.close();
  await db.end();
});

function clockAt(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return {
    now: () => now,
    sleep: (d) => new Promise((r) => setTimeout(r, Math.min(d, 50))),
    set: (x) => (now = x),
  };
}

const runsOf = (job: string) =>
  db.query<{ ts: Date; status: string; rows_touched: string; error: string }>(
    'SELECT ts, status, rows_touched, error FROM job_runs WHERE job = $1 ORDER BY ts, started_at',
    [job],
  );

describe('job_runs', () => {
  it('keeps one row per run (the outcome replaces running; recording again changes nothing)', async () => {
    const job = `test-store-${suffix}`;
    const run = { job, window: { start: T0, end: T0 + H }, startedAt: T0 + H + 5 };
    await store.record({ ...run, status: 'running', durationMs: 0, rows: 0, error: '' });
    await store.record({ ...run, status: 'ok', durationMs: 12.5, rows: 3, error: '' });
    await store.record({ ...run, status: 'ok', durationMs: 12.5, rows: 3, error: '' });
    // A later window that failed does not move where catch-up resumes.
    const failed = { job, window: { start: T0 + H, end: T0 + 2 * H }, startedAt: T0 + 2 * H + 5 };
    await store.record({ ...failed, status: 'failed', durationMs: 1, rows: 0, error: 'boom' });
    await waitFor(async () => (await runsOf(job)).length === 2, 20_000, 'runs visible');
    expect((await runsOf(job)).map((r) => [r.status, Number(r.rows_touched), r.error])).toEqual([
      ['ok', 3, ''],
      ['failed', 0, 'boom'],
    ]);
    expect((await store.doneUntil()).get(job)).toBe(T0 + H);
  });

  it('lets a restarted runner catch up the windows it missed, in order', async () => {
    const name = `test-catchup-${suffix}`;
    const seen: number[] = [];
    const job: Job = {
      name,
      policy: { windowMs: H, delayMs: 0, catchUp: 'each', maxLookbackMs: 24 * H, maxBatch: 10 },
      run: async ({ window }) => (seen.push((window.start - T0) / H), { rows: 1 }),
    };
    const clock = clockAt(T0 + H + 1);
    expect(await makeRunner({ jobs: [job], store, clock, log }).tick(name)).toMatchObject({ ran: 1 });
    await waitFor(async () => (await store.doneUntil()).get(name) === T0 + H, 20_000, 'first run visible');

    // Down for four hours; a new process reads its progress back from job_runs.
    clock.set(T0 + 5 * H + 1);
    expect(await makeRunner({ jobs: [job], store, clock, log }).tick(name)).toMatchObject({
      outcome: 'caught-up',
      ran: 4,
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    // Each run's 'running' row is replaced by its outcome in a later WAL transaction: wait for the outcomes.
    await waitFor(
      async () => {
        const runs = await runsOf(name);
        return runs.length === 5 && runs.every((r) => r.status === 'ok');
      },
      20_000,
      'five catch-up runs recorded ok',
    );
  });
});

describe('view health', () => {
  const base = `test_vh_base_${suffix}`;
  const view = `test_vh_view_${suffix}`;
  // The test's own base table and a manually refreshed view, so it can make them stale and invalid at will.
  const spec: ViewSpec = {
    name: view,
    refreshIncremental: `REFRESH MATERIALIZED VIEW ${view} INCREMENTAL`,
    refreshFull: `REFRESH MATERIALIZED VIEW ${view} FULL`,
  };
  const check = makeViewHealth({
    db,
    clock: systemClock,
    views: [spec],
    graceMs: 0,
    settleTimeoutMs: 20_000,
    pollMs: 50,
  });
  const ctx = { signal: new AbortController().signal, log };
  const sql = async (q: string) => {
    const r = await exec(config, q);
    if (r.error) throw new Error(`${q}: ${r.error}`);
  };
  const viewSums = async () =>
    (await db.query<{ ts: Date; s: number }>(`SELECT ts, s FROM ${view}`)).map((r) => [
      r.ts.toISOString(),
      r.s,
    ]);

  afterAll(async () => {
    await exec(config, `DROP MATERIALIZED VIEW IF EXISTS ${view}`);
    await exec(config, `DROP TABLE IF EXISTS ${base}`);
  });

  it('refreshes a view left behind its base, and then finds it current', async () => {
    await sql(`CREATE TABLE ${base} (ts TIMESTAMP, v DOUBLE) TIMESTAMP(ts) PARTITION BY DAY WAL`);
    await sql(
      `CREATE MATERIALIZED VIEW ${view} REFRESH MANUAL AS (SELECT ts, sum(v) AS s FROM ${base} SAMPLE BY 1h) PARTITION BY DAY`,
    );
    await sql(`INSERT INTO ${base} VALUES ('2024-01-01T00:10:00Z', 1.5), ('2024-01-02T00:10:00Z', 2.5)`);
    await waitFor(
      async () => {
        const s = (await readViewStates(db)).get(view);
        return s !== undefined && s.baseTxn >= 1 && s.refreshTxn < s.baseTxn;
      },
      20_000,
      'view behind its base',
    );

    expect(await check(ctx)).toEqual({ rows: 1 });
    await waitFor(async () => (await viewSums()).length === 2, 20_000, 'view rows');
    expect(await viewSums()).toEqual([
      ['2024-01-01T00:00:00.000Z', 1.5],
      ['2024-01-02T00:00:00.000Z', 2.5],
    ]);
    expect(await check(ctx)).toEqual({ rows: 0 });
  });

  it('after a restart, gives a view behind its base the grace from first sighting before refreshing it', async () => {
    // The last refresh finished an hour before this clock's now, as after an hour of downtime.
    const clock = makeManualClock(Date.now() + 3_600_000);
    const restarted = makeViewHealth({ db, clock, views: [spec], graceMs: 60_000, settleTimeoutMs: 600_000 });
    await sql(`INSERT INTO ${base} VALUES ('2024-01-01T00:20:00Z', 1)`);
    await waitFor(
      async () => {
        const s = (await readViewStates(db)).get(view);
        return s !== undefined && s.refreshTxn < s.baseTxn;
      },
      20_000,
      'view behind its base',
    );
    expect(await restarted(ctx)).toEqual({ rows: 0 });
    clock.advance(59_000);
    expect(await restarted(ctx)).toEqual({ rows: 0 });
    expect((await viewSums())[0]).toEqual(['2024-01-01T00:00:00.000Z', 1.5]);
    clock.advance(1_000);
    expect(await restarted(ctx)).toEqual({ rows: 1 });
    await waitFor(async () => (await viewSums())[0]?.[1] === 2.5, 20_000, 'view refreshed');
  });

  it('rebuilds an invalidated view in full', async () => {
    await sql(`ALTER TABLE ${base} DROP PARTITION LIST '2024-01-01'`);
    await waitFor(
      async () => (await readViewStates(db)).get(view)?.status === 'invalid',
      20_000,
      'view invalid',
    );
    expect(await check(ctx)).toEqual({ rows: 1 });
    expect((await readViewStates(db)).get(view)?.status).not.toBe('invalid');
    await waitFor(async () => (await viewSums()).length === 1, 20_000, 'view rebuilt');
    expect(await viewSums()).toEqual([['2024-01-02T00:00:00.000Z', 2.5]]);
  });

  it('fails the run, naming it, when a view does not exist', async () => {
    const missing = { ...spec, name: `test_vh_missing_${suffix}` };
    const checkMissing = makeViewHealth({ db, clock: systemClock, views: [missing] });
    await expect(checkMissing(ctx)).rejects.toThrow(/test_vh_missing_\w+ does not exist/);
  });

  it('finds the project views rates_1h and rates_1d healthy after the migrations', async () => {
    const states = await readViewStates(db);
    expect(states.get('rates_1h')?.status).toBe('valid');
    expect(states.get('rates_1d')?.status).toBe('valid');
    await expect(makeViewHealth({ db, clock: systemClock })(ctx)).resolves.toMatchObject({
      rows: expect.any(Number),
    });
  });
});
