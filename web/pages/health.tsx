/** Health: polls, rejections, spool, reachability, jobs and gaps; works with QuestDB down, refreshes itself. */
import type { FC, PropsWithChildren } from 'hono/jsx';
import type { GapCount, JobRun, JobRunCount, ReasonCount, SpoolDepth } from '../../sql/web.ts';
import { FILTERED_REASONS } from '../../common/types.ts';
import type { AwsReach, Reach } from '../checks.ts';
import { isUnavailable, type AreaDeps } from '../context.ts';
import { fmtAge, fmtBytes, fmtInt, fmtTime } from '../format.ts';
import { Table, type Col } from '../layout.tsx';
import { areaRoutes } from '../page-routes.tsx';
import { parseQuery } from '../params.ts';

const DAY = 86_400_000;
/** A source whose newest successful poll is older than this is flagged. */
const STALE_MS = 3 * 60_000;

type HealthView = Awaited<ReturnType<typeof loadHealth>>;

/** Everything the page shows; QuestDB down is a state of the page (db null), not an error. */
export async function loadHealth(deps: AreaDeps) {
  const now = deps.clock.now();
  const awsP = deps.checks.aws();
  const t0 = performance.now();
  const q = deps.queries;
  const down = await q.ping().then(
    () => null,
    (err: unknown) => {
      if (!isUnavailable(err)) throw err;
      return (err as Error).message || String(err);
    },
  );
  const ms = performance.now() - t0;
  const questdb: Reach = { ok: down === null, ms, detail: down ?? 'answers SQL', checkedAt: now };
  if (down !== null) return { now, questdb, aws: await awsP, db: null };
  const [catalog, successful, lastPolls, spool, jobCounts, jobRuns, tables] = await Promise.all([
    deps.catalog.get(),
    q.lastSuccessfulPolls(now - 30 * DAY),
    q.lastPolls(now - 30 * DAY),
    q.spoolDepth(now - DAY),
    q.jobRunCounts(now - 7 * DAY),
    q.recentJobRuns(now - 7 * DAY),
    q.tableNames(),
  ]);
  // Null while their migrations have not created the tables.
  const [gaps, rejections] = await Promise.all([
    tables.has('gaps') ? q.gapCounts(now - 30 * DAY) : null,
    tables.has('rejections') ? q.rejectionsByReason(now - DAY) : null,
  ]);
  const sources = [
    ...new Set([...catalog.sources, ...successful.map((s) => s.source), ...lastPolls.map((p) => p.source)]),
  ].sort();
  const db = { sources, successful, lastPolls, rejections, spool, jobCounts, jobRuns, gaps };
  return { now, questdb, aws: await awsP, db };
}

const REACH: Col<[string, Reach]>[] = [
  ['Service', ([name]) => name],
  ['State', ([, r]) => (r.ok ? 'reachable' : 'NOT reachable'), ([, r]) => (r.ok ? 'good' : 'bad')],
  ['Answered in', ([, r]) => (r.ok ? `${r.ms.toFixed(0)} ms` : '–'), 'num'],
  ['Detail', ([, r]) => r.detail],
];

const Archive: FC<{ a: AwsReach['archive'] }> = ({ a }) => (
  <p class={a.durable === false ? 'banner warn' : ''} role={a.durable === false ? 'alert' : undefined}>
    <strong>
      Raw archive{' '}
      {a.durable === true ? 'durable' : a.durable === false ? 'NOT durable' : 'durability unknown'}:
    </strong>{' '}
    {a.detail}.{' '}
    {a.lastHour === null
      ? 'Objects of the last hour: unknown.'
      : `${fmtInt(a.lastHour)} objects stored in the last hour.`}
  </p>
);

/** Each known source with its newest successful poll, the age of that, and its newest attempt. */
export const sourceRows = (v: HealthView) =>
  (v.db?.sources ?? []).map((source) => {
    const ok = v.db?.successful.find((p) => p.source === source);
    const last = v.db?.lastPolls.find((p) => p.source === source);
    return { source, ok, last, age: ok ? v.now - ok.ts.getTime() : null };
  });
type SourceRow = ReturnType<typeof sourceRows>[number];
const SOURCES: Col<SourceRow>[] = [
  ['Source', (r) => r.source],
  ['Last successful poll (UTC)', (r) => (r.ok ? fmtTime(r.ok.ts) : 'never')],
  [
    'Age',
    (r) => (r.age === null ? '–' : fmtAge(r.age)),
    (r) => (r.age === null ? '' : r.age > STALE_MS ? 'bad' : 'good'),
  ],
  ['Rates in that poll', (r) => (r.ok ? fmtInt(r.ok.accepted) : '–'), 'num'],
  [
    'Latest attempt',
    ({ last }) =>
      last?.reason === 'unavailable_here'
        ? `${fmtTime(last.ts)}: unavailable from here (HTTP 451); asked again hourly`
        : last
          ? `${fmtTime(last.ts)}, attempt ${last.attempt}: HTTP ${last.httpStatus}${last.reason ? `, ${last.reason}` : ''}`
          : '–',
  ],
];

const Sources: FC<{ v: HealthView }> = ({ v }) => {
  const rows = sourceRows(v);
  if (rows.length === 0) return <p class="empty">No sources known yet: waiting for the first poll.</p>;
  return (
    <Table caption="Polls per source (the newest in the last 30 days)" cols={SOURCES} rows={rows} rowHead />
  );
};

const filtered = (e: ReasonCount) => FILTERED_REASONS.has(e.reason);
const REJECTIONS: Col<ReasonCount>[] = [
  ['Source', (e) => e.source],
  ['Reason', (e) => e.reason],
  ['Kind', (e) => (filtered(e) ? 'filtered' : 'rejected'), (e) => (filtered(e) ? '' : 'bad')],
  ['Count', (e) => fmtInt(e.n), 'num'],
  ['Last (UTC)', (e) => fmtTime(e.lastTs)],
];

const SPOOL: Col<SpoolDepth>[] = [
  ['Poller', (s) => s.poller],
  ['Channel', (s) => s.channel],
  ['Files', (s) => fmtInt(s.files), (s) => (s.files > 0 ? 'num warn' : 'num')],
  ['Size', (s) => fmtBytes(s.bytes), 'num'],
  [
    'Of bound',
    (s) => `${((100 * s.bytes) / Math.max(1, s.maxBytes)).toFixed(1)} %`,
    (s) => (s.full ? 'num bad' : 'num'),
  ],
  ['Lost', (s) => fmtInt(s.lost), (s) => (s.lost > 0 ? 'num bad' : 'num')],
  ['Reported (UTC)', (s) => fmtTime(s.ts)],
];

const JOB_COUNTS: Col<JobRunCount>[] = [
  ['Job', (j) => j.job],
  ['Status', (j) => j.status, (j) => (j.status === 'failed' ? 'bad' : j.status === 'ok' ? 'good' : '')],
  ['Runs', (j) => fmtInt(j.n), 'num'],
  ['Last started (UTC)', (j) => fmtTime(j.lastStarted)],
];

const JOB_RUNS: Col<JobRun>[] = [
  ['Job', (j) => j.job],
  ['Window (UTC)', (j) => `${fmtTime(j.ts)} – ${fmtTime(j.windowEnd)}`],
  ['Status', (j) => j.status, (j) => (j.status === 'failed' ? 'bad' : '')],
  ['Took', (j) => (j.durationMs === null ? '–' : `${j.durationMs.toFixed(0)} ms`), 'num'],
  ['Rows', (j) => fmtInt(j.rowsTouched), 'num'],
  ['Error', (j) => j.error ?? ''],
];

const GAPS: Col<GapCount>[] = [
  ['Source', (g) => g.source],
  ['Status', (g) => g.status, (g) => (g.status === 'repaired' ? 'good' : 'warn')],
  ['Minutes', (g) => fmtInt(g.n), 'num'],
  ['Newest (UTC)', (g) => fmtTime(g.lastTs)],
];

const Section: FC<PropsWithChildren<{ id: string; title: string }>> = (p) => (
  <section aria-labelledby={`h-${p.id}`}>
    <h2 id={`h-${p.id}`}>{p.title}</h2>
    {p.children}
  </section>
);

const HealthBody: FC<{ v: HealthView }> = ({ v }) => {
  const db = v.db;
  return (
    <div
      id="health-body"
      hx-get="/health/panel"
      hx-trigger={db ? 'every 30s' : 'every 5s'}
      hx-swap="outerHTML"
    >
      {db ? null : (
        <div class="banner down" role="alert">
          <strong>QuestDB is not reachable.</strong> Poll, spool, job and gap figures are unknown until it
          answers; this page retries every 5 seconds and comes back by itself.
        </div>
      )}
      <p class="asof">As of {fmtTime(v.now, true)}; refreshes by itself.</p>
      <Section id="reach" title="Reachability">
        <Table
          cols={REACH}
          rows={[
            ['QuestDB', v.questdb],
            ['S3 (raw archive)', v.aws.s3],
            ['Firehose', v.aws.firehose],
          ]}
          rowHead
        />
        <Archive a={v.aws.archive} />
      </Section>
      {db ? (
        <>
          <Section id="sources" title="Sources">
            <Sources v={v} />
          </Section>
          <Section id="rejections" title="Rejections by reason">
            {db.rejections === null ? (
              <p class="empty">Rejections are not recorded yet (no rejections table).</p>
            ) : (
              <Table
                caption="Rejections by source and reason, last 24 hours (filtered: a known, permanent condition of a healthy answer, counted but not an error)"
                cols={REJECTIONS}
                rows={db.rejections}
                empty="No failed polls or rejected values in the last 24 hours."
              />
            )}
          </Section>
          <Section id="spool" title="Spool">
            <Table
              caption="Spool depth (undelivered batches waiting on the poller's disk)"
              cols={SPOOL}
              rows={db.spool}
              empty="No spool reports in the last 24 hours."
            />
          </Section>
          <Section id="jobs" title="Jobs">
            {db.jobCounts.length === 0 ? (
              <p class="empty">No job runs in the last 7 days.</p>
            ) : (
              <>
                <Table caption="Job runs by outcome, last 7 days" cols={JOB_COUNTS} rows={db.jobCounts} />
                <details>
                  <summary>The {db.jobRuns.length} newest runs</summary>
                  <Table cols={JOB_RUNS} rows={db.jobRuns} />
                </details>
              </>
            )}
          </Section>
          <Section id="gaps" title="Gaps">
            {db.gaps === null ? (
              <p class="empty">Gap repair is not installed yet (no gaps table).</p>
            ) : db.gaps.length === 0 ? (
              <p class="empty">No gaps found in the last 30 days.</p>
            ) : (
              <Table caption="Gaps found in the last 30 days" cols={GAPS} rows={db.gaps} />
            )}
          </Section>
        </>
      ) : null}
    </div>
  );
};

export const healthRoutes = (deps: AreaDeps) =>
  areaRoutes('Health', deps.consoleUrl, async (q) => {
    parseQuery(q, []);
    const v = await loadHealth(deps);
    return { body: <HealthBody v={v} />, status: v.db ? 200 : 503 };
  });
