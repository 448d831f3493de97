/** Backtest results as plain-text tables for the terminal and the logs. Pure. */
import { negligible, verdict, type BacktestResult, type BacktestRow } from './backtest.ts';
import type { Recommendation } from './selection.ts';

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16) + 'Z' : '-');

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function pValue(p: number): string {
  if (!Number.isFinite(p)) return '-';
  return p < 0.001 ? p.toExponential(0) : p.toFixed(3);
}

/** What a row says in words: the baseline, or the DM verdict at 5% with its direction. */
export function describeRow(r: BacktestRow): string {
  if (r.model === 'persistence') return 'baseline';
  const v = verdict(r);
  if (v === 'same') return 'no sig. diff.';
  if (negligible(r)) return `sig. ${v} but negligible`;
  return v === 'better' ? 'BEATS persistence' : 'WORSE than persistence';
}

const COLUMNS = [
  ['model', 14],
  ['h', 3],
  ['origins', 8],
  ['RMSE', 10],
  ['ratio', 7],
  ['DM', 7],
  ['p', 7],
  ['cov50', 6],
  ['cov90', 6],
  ['width90', 9],
  ['fit ms', 7],
] as const;

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;

/**
 * Where every origin went: per horizon, scored of tried and why the rest were not; related series missing from
 * windows; and for models that report it, which related series they used at which lead in what share of
 * windows. Pure.
 */
export function formatAccounting(r: BacktestResult): string[] {
  const lines = r.accounting.map((a) => {
    const why = Object.entries(a.unscored)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    return `+${a.horizon} min: scored ${a.scored} of ${a.tried} origins${why ? `; not scored: ${why}` : ''}`;
  });
  const missing = Object.entries(r.relatedMissing).filter(([, n]) => n > 0);
  if (missing.length)
    lines.push(
      `related series missing (too few points in the window): ${missing.map(([name, n]) => `${name} at ${n} origins`).join(', ')}`,
    );
  for (const [model, use] of Object.entries(r.relatedUse)) {
    // Per series (in order of first appearance, the most used lead first): its share, then by lead.
    const bySeries = new Map<string, typeof use.used>();
    for (const u of use.used) bySeries.set(u.name, [...(bySeries.get(u.name) ?? []), u]);
    const detail = [...bySeries]
      .map(([name, leads]) => {
        const n = leads.reduce((s, u) => s + u.windows, 0);
        const each = leads.map((u) => `lead ${u.lead} min ${pct(u.windows, use.windows)}`).join(', ');
        return `${name} in ${pct(n, use.windows)}: ${each}`;
      })
      .join('; ');
    lines.push(`${model} over ${use.windows} windows: ${detail || 'no related series used'}`);
  }
  return lines;
}

/** One series' table: a header line, one line per model and horizon, and the production choice if given. */
export function formatResult(label: string, r: BacktestResult, rec?: Recommendation): string {
  const skipped = Object.entries(r.skipped)
    .map(([why, n]) => `${n} ${why}`)
    .join(', ');
  const head = [
    `${label}${r.related.length ? ` (related: ${r.related.join(', ')})` : ''}`,
    `  origins ${iso(r.from)} .. ${iso(r.to)}: ${r.origins} every ${r.stride} min${skipped ? `; skipped ${skipped}` : ''}`,
  ];
  const pad = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1]))).join(' ');
  const lines = [pad(COLUMNS.map((c) => c[0])) + '  verdict'];
  for (const row of r.rows) {
    const cells = [
      row.model,
      String(row.horizon),
      String(row.origins),
      fixed(row.rmse, 2),
      fixed(row.ratio, 4),
      fixed(row.dm.stat, 2),
      pValue(row.dm.p),
      fixed(row.coverage50, 3),
      fixed(row.coverage90, 3),
      fixed(row.width90, 2),
      fixed(row.fitMs, 2),
    ];
    lines.push(pad(cells) + `  ${describeRow(row)}${row.failures ? ` (${row.failures} failed)` : ''}`);
  }
  if (rec) lines.push(`  production choice: ${rec.model} (${rec.reason})`);
  return [...head, ...formatAccounting(r).map((l) => `  ${l}`), ...lines.map((l) => `  ${l}`)].join('\n');
}

/** The lines that say where a model beats persistence significantly, for the end of a run. */
export function formatWins(label: string, r: BacktestResult): string[] {
  return r.rows
    .filter((row) => row.model !== 'persistence' && verdict(row) === 'better' && !negligible(row))
    .map(
      (row) =>
        `${label}: ${row.model} beats persistence at +${row.horizon} min: RMSE ratio ${fixed(row.ratio, 3)}, DM ${fixed(row.dm.stat, 2)} (p ${pValue(row.dm.p)}), 90% coverage ${fixed(row.coverage90, 3)}`,
    );
}
