/**
 * Health: the newest successful poll of each source and its age, rejections by reason, spool depth, whether
 * QuestDB, S3 and Firehose answer, job runs, and the gaps found and repaired. It works with QuestDB down
 * (showing that, and the archive's reachability) and refreshes itself.
 */
import { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import type {
  GapCount,
  JobRun,
  JobRunCount,
  LastPoll,
  ReasonCount,
  SpoolDepth,
  SuccessfulPoll,
} from '../../sql/web.ts';
import { FILTERED_REASONS } from '../../common/types.ts';
import type { AwsReach, Reach } from '../checks.ts';
import { isUnavailable, type AreaDeps } from '../context.ts';
import { fmtAge, fmtBytes, fmtInt, fmtTime } from '../format.ts';
import { pageAndPanel } from '../page-routes.tsx';
import { parseQuery } from '../params.ts';

const DAY = 86_400_000;
/** A source whose newest successful poll is older than this is flagged. */
const STALE_MS = 3 * 60_000;

export type HealthView = {
  now: number;
  questdb: Reach;
  aws: AwsReach;
  db: {
    sources: string[];
    successful: SuccessfulPoll[];
    lastPolls: LastPoll[];
    /** Null while migration 0007 has not created the table. */
    rejections: ReasonCount[] | null;
    spool: SpoolDepth[];
    jobCounts: JobRunCount[];
    jobRuns: JobRun[];
    /** Null while the gap-repair migration has not created the table. */
    gaps: GapCount[] | null;
  } | null;
};

/** Everything the page shows; QuestDB being down is a state of the page, not an error. */
export async function loadHealth(deps: AreaDeps): Promise<HealthView> {
  const now = deps.clock.now();
  const awsP = deps.checks.aws();
  const t0 = performance.now();
  const q = deps.queries;
  try {
    await q.ping();
  } catch (err) {
    if (!isUnavailable(err)) throw err;
    const e = err as Error;
    return {
      now,
      questdb: { ok: false, ms: performance.now() - t0, detail: e.message || String(err), checkedAt: now },
      aws: await awsP,
      db: null,
    };
  }
  const questdb: Reach = { ok: true, ms: performance.now() - t0, detail: 'answers SQL', checkedAt: now };
  const [catalog, successful, lastPolls, spool, jobCounts, jobRuns, tables] = await Promise.all([
    deps.catalog.get(),
    q.lastSuccessfulPolls(now - 30 * DAY),
    q.lastPolls(now - 30 * DAY),
    q.spoolDepth(now - DAY),
    q.jobRunCounts(now - 7 * DAY),
    q.recentJobRuns(now - 7 * DAY),
    q.tableNames(),
  ]);
  const [gaps, rejections] = await Promise.all([
    tables.has('gaps') ? q.gapCounts(now - 30 * DAY) : null,
    tables.has('rejections') ? q.rejectionsByReason(now - DAY) : null,
  ]);
  const sources = [
    ...new Set([...catalog.sources, ...successful.map((s) => s.source), ...lastPolls.map((p) => p.source)]),
  ].sort();
  return {
    now,
    questdb,
    aws: await awsP,
    db: { sources, successful, lastPolls, rejections, spool, jobCounts, jobRuns, gaps },
  };
}

const ReachRow: FC<{ name: string; r: Reach }> = ({ name, r }) => (
  <tr>
    <th scope="row">{name}</th>
    <td class={r.ok ? 'good' : 'bad'}>{r.ok ? 'reachable' : 'NOT reachable'}</td>
    <td class="num">{r.ok ? `${r.ms.toFixed(0)} ms` : '–'}</td>
    <td>{r.detail}</td>
  </tr>
);

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

const Sources: FC<{ v: HealthView }> = ({ v }) => {
  const db = v.db!;
  if (db.sources.length === 0) return <p class="empty">No sources known yet: waiting for the first poll.</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>Polls per source (the newest in the last 30 days)</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Last successful poll (UTC)</th>
            <th scope="col">Age</th>
            <th scope="col">Rates stored</th>
            <th scope="col">Latest attempt</th>
          </tr>
        </thead>
        <tbody>
          {db.sources.map((s) => {
            const ok = db.successful.find((p) => p.source === s);
            const last = db.lastPolls.find((p) => p.source === s);
            const age = ok ? v.now - ok.ts.getTime() : null;
            return (
              <tr>
                <th scope="row">{s}</th>
                <td>{ok ? fmtTime(ok.ts) : 'never'}</td>
                <td class={age === null ? '' : age > STALE_MS ? 'bad' : 'good'}>
                  {age === null ? '–' : fmtAge(age)}
                </td>
                <td class="num">{ok ? fmtInt(ok.accepted) : '–'}</td>
                <td>
                  {last?.reason === 'unavailable_here'
                    ? `${fmtTime(last.ts)}: unavailable from here (HTTP 451); asked again hourly`
                    : last
                      ? `${fmtTime(last.ts)}, attempt ${last.attempt}: HTTP ${last.httpStatus}${last.reason ? `, ${last.reason}` : ''}`
                      : '–'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
};

const Rejections: FC<{ rows: ReasonCount[] | null }> = ({ rows }) =>
  rows === null ? (
    <p class="empty">Rejections are not recorded yet (no rejections table).</p>
  ) : rows.length === 0 ? (
    <p class="empty">No failed polls or rejected values in the last 24 hours.</p>
  ) : (
    <div class="table-wrap">
      <table>
        <caption>
          Rejections by source and reason, last 24 hours (filtered: a known, permanent condition of a healthy
          answer, counted but not an error)
        </caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Reason</th>
            <th scope="col">Kind</th>
            <th scope="col">Count</th>
            <th scope="col">Last (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => {
            const filtered = FILTERED_REASONS.has(e.reason);
            return (
              <tr>
                <td>{e.source}</td>
                <td>{e.reason}</td>
                <td class={filtered ? '' : 'bad'}>{filtered ? 'filtered' : 'rejected'}</td>
                <td class="num">{fmtInt(e.n)}</td>
                <td>{fmtTime(e.lastTs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );

const Spool: FC<{ spool: SpoolDepth[] }> = ({ spool }) =>
  spool.length === 0 ? (
    <p class="empty">No spool reports in the last 24 hours.</p>
  ) : (
    <div class="table-wrap">
      <table>
        <caption>Spool depth (undelivered batches waiting on the poller's disk)</caption>
        <thead>
          <tr>
            <th scope="col">Poller</th>
            <th scope="col">Channel</th>
            <th scope="col">Files</th>
            <th scope="col">Size</th>
            <th scope="col">Of bound</th>
            <th scope="col">Lost</th>
            <th scope="col">Reported (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {spool.map((s) => (
            <tr>
              <td>{s.poller}</td>
              <td>{s.channel}</td>
              <td class={`num ${s.files > 0 ? 'warn' : ''}`}>{fmtInt(s.files)}</td>
              <td class="num">{fmtBytes(s.bytes)}</td>
              <td class={`num ${s.full ? 'bad' : ''}`}>
                {((100 * s.bytes) / Math.max(1, s.maxBytes)).toFixed(1)} %
              </td>
              <td class={`num ${s.lost > 0 ? 'bad' : ''}`}>{fmtInt(s.lost)}</td>
              <td>{fmtTime(s.ts)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

const Jobs: FC<{ counts: JobRunCount[]; runs: JobRun[] }> = ({ counts, runs }) =>
  counts.length === 0 ? (
    <p class="empty">No job runs in the last 7 days.</p>
  ) : (
    <>
      <div class="table-wrap">
        <table>
          <caption>Job runs by outcome, last 7 days</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
              <th scope="col">Runs</th>
              <th scope="col">Last started (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {counts.map((j) => (
              <tr>
                <td>{j.job}</td>
                <td class={j.status === 'failed' ? 'bad' : j.status === 'ok' ? 'good' : ''}>{j.status}</td>
                <td class="num">{fmtInt(j.n)}</td>
                <td>{fmtTime(j.lastStarted)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details>
        <summary>The {runs.length} newest runs</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Window (UTC)</th>
                <th scope="col">Status</th>
                <th scope="col">Took</th>
                <th scope="col">Rows</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((j) => (
                <tr>
                  <td>{j.job}</td>
                  <td>
                    {fmtTime(j.ts)} – {fmtTime(j.windowEnd)}
                  </td>
                  <td class={j.status === 'failed' ? 'bad' : ''}>{j.status}</td>
                  <td class="num">{j.durationMs === null ? '–' : `${j.durationMs.toFixed(0)} ms`}</td>
                  <td class="num">{fmtInt(j.rowsTouched)}</td>
                  <td>{j.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );

const Gaps: FC<{ gaps: GapCount[] | null }> = ({ gaps }) =>
  gaps === null ? (
    <p class="empty">Gap repair is not installed yet (no gaps table).</p>
  ) : gaps.length === 0 ? (
    <p class="empty">No gaps found in the last 30 days.</p>
  ) : (
    <div class="table-wrap">
      <table>
        <caption>Gaps found in the last 30 days</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Status</th>
            <th scope="col">Minutes</th>
            <th scope="col">Newest (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {gaps.map((g) => (
            <tr>
              <td>{g.source}</td>
              <td class={g.status === 'repaired' ? 'good' : 'warn'}>{g.status}</td>
              <td class="num">{fmtInt(g.n)}</td>
              <td>{fmtTime(g.lastTs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

export const HealthBody: FC<{ v: HealthView }> = ({ v }) => (
  <div
    id="health-body"
    hx-get="/health/panel"
    hx-trigger={v.db ? 'every 30s' : 'every 5s'}
    hx-swap="outerHTML"
  >
    {v.db ? null : (
      <div class="banner down" role="alert">
        <strong>QuestDB is not reachable.</strong> Poll, spool, job and gap figures are unknown until it
        answers; this page retries every 5 seconds and comes back by itself.
      </div>
    )}
    <p class="asof">As of {fmtTime(v.now, true)}; refreshes by itself.</p>
    <section aria-labelledby="h-reach">
      <h2 id="h-reach">Reachability</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">State</th>
              <th scope="col">Answered in</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            <ReachRow name="QuestDB" r={v.questdb} />
            <ReachRow name="S3 (raw archive)" r={v.aws.s3} />
            <ReachRow name="Firehose" r={v.aws.firehose} />
          </tbody>
        </table>
      </div>
      <Archive a={v.aws.archive} />
    </section>
    {v.db ? (
      <>
        <section aria-labelledby="h-sources">
          <h2 id="h-sources">Sources</h2>
          <Sources v={v} />
        </section>
        <section aria-labelledby="h-rejections">
          <h2 id="h-rejections">Rejections by reason</h2>
          <Rejections rows={v.db.rejections} />
        </section>
        <section aria-labelledby="h-spool">
          <h2 id="h-spool">Spool</h2>
          <Spool spool={v.db.spool} />
        </section>
        <section aria-labelledby="h-jobs">
          <h2 id="h-jobs">Jobs</h2>
          <Jobs counts={v.db.jobCounts} runs={v.db.jobRuns} />
        </section>
        <section aria-labelledby="h-gaps">
          <h2 id="h-gaps">Gaps</h2>
          <Gaps gaps={v.db.gaps} />
        </section>
      </>
    ) : null}
  </div>
);

export function healthRoutes(deps: AreaDeps): Hono {
  const app = new Hono();
  pageAndPanel(app, {
    title: 'Health',
    path: '/health',
    consoleUrl: deps.consoleUrl,
    render: async (q) => {
      parseQuery(q, []);
      const v = await loadHealth(deps);
      return { body: <HealthBody v={v} />, status: v.db ? 200 : 503 };
    },
  });
  return app;
}
