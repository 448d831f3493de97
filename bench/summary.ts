/** The summary table of `npm run bench`: the figures with a target or a same-run baseline, from each benchmark's JSON. Pure. */

export const BENCHES = ['ingest', 'backfill', 'queries', 'forecast', 'venues', 'web', 'export'] as const;
export type Bench = (typeof BENCHES)[number];

export type Row = {
  bench: Bench;
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
};

/** The figures with a target or a baseline, from each benchmark's JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each benchmark's own JSON shape, read defensively
export function summarize(name: Bench, j: Record<string, any>): Row[] {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'bench'>) => rows.push({ bench: name, ...r });
  if (name === 'ingest') {
    const l = j.latencyMs;
    row({
      figure: 'response → queryable p50 (ms)',
      value: f(l.pipeline.p50),
      baseline: `bare ILP row ${f(l.baseline.p50)}`,
      ratio: f(l.ratio.p50, 2),
      target: '—',
      met: '—',
    });
    row({
      figure: 'response → queryable p95 (ms)',
      value: f(l.pipeline.p95),
      baseline: `bare ILP row ${f(l.baseline.p95)}`,
      ratio: f(l.ratio.p95, 2),
      target: '—',
      met: '—',
    });
    for (const n of j.normalizer ?? [])
      row({
        figure: `normalizer ${n.source} (rows/s)`,
        value: f(n.normalizeRowsPerS, 0),
        baseline: `JSON.parse ${f(n.jsonParseRowsPerS, 0)}`,
        ratio: f(n.normalizeRowsPerS / n.jsonParseRowsPerS, 2),
        target: '—',
        met: '—',
      });
  } else if (name === 'backfill') {
    const b = j.best;
    row({
      figure: 'replay-s3, best round (rows/s)',
      value: f(b.replayRowsPerSec, 0),
      baseline: `raw ILP ceiling, best round ${f(b.ceilingRowsPerSec, 0)}`,
      ratio: f(b.ratio, 2),
      target: '—',
      met: '—',
    });
    const r = j.perRound;
    row({
      figure: 'replay-s3 ÷ ceiling, median of rounds',
      value: f(r.median, 3),
      baseline: 'each round against its own ceiling run',
      ratio: f(r.median, 3),
      target: `≥ ${r.target}`,
      met: r.median >= r.target ? 'yes' : 'NO',
    });
    const t = j.medianSeconds;
    if (t)
      row({
        figure: 'replay-s3 without its writes, median of rounds (s)',
        value: f(t.read, 2),
        baseline: `ILP ceiling ${f(t.ceiling, 2)} s, replay ${f(t.replay, 2)} s`,
        ratio: f(t.read / t.ceiling, 2),
        target: '—',
        met: '—',
      });
    // No minute is final, so nothing is written, until the arrival slack after it is read: the share spent so.
    if (t && Number.isFinite(t.firstBatch))
      row({
        figure: 'replay-s3 first batch written after, median of rounds (s)',
        value: f(t.firstBatch, 2),
        baseline: `replay ${f(t.replay, 2)} s, reading ${f(j.inputs?.slackMs / 3_600_000, 0)} h of arrivals first`,
        ratio: f(t.firstBatch / t.replay, 2),
        target: '—',
        met: '—',
      });
    // The design not taken: the same replay with its reading in a second thread, against the same ceiling runs.
    if (t && typeof j.threaded?.median === 'number')
      row({
        figure: 'replay-s3 reading in a second thread ÷ ceiling, median of rounds',
        value: f(j.threaded.median, 3),
        baseline: `one thread ${f(r.median, 3)}; ${f(t.threaded, 2)} s against ${f(t.replay, 2)} s`,
        ratio: f(j.threaded.median / r.median, 2),
        target: '—',
        met: '—',
      });
    // What one thread could reach at best: the ceiling against the main-thread CPU of its writing and of the reading.
    const bound = j.oneThreadBound;
    if (t && typeof bound?.median === 'number') {
      const m = bound.mainCpuSeconds;
      row({
        figure: "one thread's bound on replay-s3 ÷ ceiling, median of rounds",
        value: f(bound.median, 3),
        baseline:
          `main-thread CPU: ceiling ${f(m.ceiling, 2)} s + reading ${f(m.read, 2)} s; replay ${f(m.replay, 2)} s, ` +
          `and ${f(m.replayWaiting, 2)} s waiting for a core, in ${f(t.replay, 2)} s`,
        ratio: f(r.median / bound.median, 2),
        target: '—',
        met: '—',
      });
    }
  } else if (name === 'queries') {
    const t: string[][] = j.table ?? [];
    let current = '';
    for (const r of t.slice(1)) {
      if (r[0]) current = r[0];
      if (r[1] === 'view') {
        const base = t[t.indexOf(r) + 1];
        row({
          figure: `${current} p95 (ms)`,
          value: r[3] ?? '',
          baseline: `raw SAMPLE BY ${base?.[3] ?? '?'}`,
          ratio: base ? f(Number(r[3]) / Number(base[3]), 2) : '',
          target: `< ${j.targetP95Ms}`,
          met: r[4] === 'yes' ? 'yes' : 'NO',
        });
      }
    }
  } else if (name === 'forecast') {
    for (const h of j.horizons ?? [])
      row({
        figure: `GP RMSE ÷ persistence +${h.horizon} min (DM ${f(h.dm, 2)}, p ${f(h.dmP, 2)}); 90% coverage ${f(h.coverage90, 3)}`,
        value: f(h.ratio, 4),
        baseline: 'persistence 1.0000',
        ratio: f(h.ratio, 4),
        target: '≤ 1.000, coverage 0.88–0.92',
        met: h.ratioMet && h.coverageMet ? 'yes' : 'NO',
      });
    row({
      figure: 'fit + search per 60-point window, CPU p50 (ms)',
      value: f(j.fitMs.cpuP50, 2),
      baseline: `scikit-learn ~${j.targets.sklearnMsPerWindow} (external)`,
      ratio: '',
      target: `≤ ${j.targets.fitMs}`,
      met: j.fitMs.cpuP50 <= j.targets.fitMs ? 'yes' : 'NO',
    });
    row({
      figure: '25-currency cycle, wall p50 (ms)',
      value: f(j.cycleMs.wallP50),
      baseline: '',
      ratio: '',
      target: `< ${j.targets.cycleMs}`,
      met: j.cycleMs.wallP50 < j.targets.cycleMs ? 'yes' : 'NO',
    });
    const [aggregators, all] = j.rounds ?? [];
    if (aggregators && all)
      row({
        figure: `round of ${all.series} series (aggregators + venues), wall p95 (ms)`,
        value: f(all.wallP95),
        baseline: `${aggregators.series} aggregator series ${f(aggregators.wallP95)}`,
        ratio: f(all.wallP95 / aggregators.wallP95, 2),
        target: `< ${j.targets.roundMs}`,
        met: all.wallP95 < j.targets.roundMs ? 'yes' : 'NO',
      });
  } else if (name === 'venues') {
    const [lo, hi] = j.targets.coverage90;
    for (const [i, r] of (j.results ?? []).entries())
      for (const h of r.horizons) {
        const covered = h.coverage90 >= lo && h.coverage90 <= hi;
        const significant = h.dmP < j.targets.alpha;
        // The first target must beat persistence; the second must not be significantly worse than it.
        const skill =
          i === 0
            ? (h.horizon === 1 ? h.ratio <= j.targets.krakenRatio1 : h.ratio < 1) && h.dm < 0 && significant
            : !(h.dm > 0 && significant);
        row({
          figure: `gp-icm ${r.target} (related ${r.related}) +${h.horizon} min RMSE ÷ persistence (DM ${f(h.dm, 2)}, p ${h.dmP.toExponential(1)}); 90% coverage ${f(h.coverage90, 3)}`,
          value: f(h.ratio, 4),
          baseline: 'persistence 1.0000',
          ratio: f(h.ratio, 4),
          target: `${i === 0 ? (h.horizon === 1 ? `≤ ${j.targets.krakenRatio1}` : '< 1') + ', DM sig.' : 'not sig. worse'}, coverage ${lo}–${hi}`,
          met: skill && covered ? 'yes' : 'NO',
        });
      }
  } else if (name === 'web') {
    for (const r of j.results ?? [])
      row({
        figure: `${r.route} (${r.kind}) server p95 (ms)`,
        value: f(r.serverP95),
        baseline: `p50 ${f(r.serverP50)}`,
        ratio: '',
        target: `< ${j.targetP95Ms}`,
        met: r.ok ? 'yes' : 'NO',
      });
  } else if (name === 'export') {
    row({
      figure: 'lake export of a day (rows/s)',
      value: f(j.exportRowsPerSec, 0),
      baseline: `QuestDB scan ${f(j.scanRowsPerSec, 0)}, PG fetch ${f(j.fetchRowsPerSec, 0)}`,
      ratio: f(j.exportRowsPerSec / j.fetchRowsPerSec, 2),
      target: '—',
      met: '—',
    });
  }
  return rows;
}
