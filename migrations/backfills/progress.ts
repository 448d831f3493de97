/** Progress of a long backfill: a bar redrawn in place on a terminal, else a plain line every few s. */
import type { Clock } from '../../common/types.ts';

export type ProgressState = {
  /** How far along, out of `total`, in the caller's unit: bytes of a file, ms of an arrival span, days. */
  done: number;
  total: number;
  rows: number;
  skipped: number;
  elapsedMs: number;
};

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** h:mm:ss or m:ss. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Rows per second and the estimated time left (null until there is something to extrapolate from). Pure. */
export function rates(s: ProgressState): { rowsPerSec: number; etaMs: number | null; fraction: number } {
  const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
  const rowsPerSec = s.elapsedMs > 0 ? (s.rows * 1000) / s.elapsedMs : 0;
  const etaMs = fraction > 0 && s.elapsedMs > 0 ? (s.elapsedMs * (1 - fraction)) / fraction : null;
  return { rowsPerSec, etaMs, fraction };
}

/** The statistics after the bar: percentage, rows, rows/s, ETA, skipped. Pure. */
export function formatStats(s: ProgressState): string {
  const { rowsPerSec, etaMs, fraction } = rates(s);
  return [
    `${(fraction * 100).toFixed(1).padStart(5)}%`,
    `${int(s.rows)} rows written`,
    `${int(rowsPerSec)} rows/s`,
    `ETA ${etaMs === null ? '--:--' : formatDuration(etaMs)}`,
    ...(s.skipped > 0 ? [`${int(s.skipped)} skipped`] : []),
  ].join('  ');
}

/** One terminal line `width` columns wide at most: `[#####-----] stats`. Pure. */
export function formatBar(s: ProgressState, width: number): string {
  const stats = formatStats(s);
  const barWidth = Math.max(10, Math.min(40, width - stats.length - 4));
  const filled = Math.round(rates(s).fraction * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${stats}`.slice(0, Math.max(1, width - 1));
}

export type ProgressOut = { write(s: string): unknown; isTTY?: boolean; columns?: number };

export type Progress = {
  /** Show `s` if enough time has passed since the last redraw (or `force`). */
  update(s: ProgressState, force?: boolean): void;
  /** Print a message above the bar (a rejected row, a warning) without garbling it. */
  note(message: string): void;
  /** Final redraw and newline. */
  done(s: ProgressState): void;
};

/** Progress on `out` (stderr): a TTY's bar drawn at once and every 200 ms, else a plain line every 5 s from 5 s. */
export function makeProgress(out: ProgressOut, clock: Clock, opts: { plainEveryMs?: number } = {}): Progress {
  const tty = out.isTTY === true;
  const every = tty ? 200 : (opts.plainEveryMs ?? 5_000);
  let last = tty ? -Infinity : clock.now();
  let drawn = false;
  const draw = (s: ProgressState) => {
    if (tty) {
      out.write(`\r${formatBar(s, out.columns ?? 80)}\x1b[K`);
      drawn = true;
    } else out.write(`progress: ${formatStats(s)}\n`);
  };
  return {
    update(s, force = false) {
      const now = clock.now();
      if (!force && now - last < every) return;
      last = now;
      draw(s);
    },
    note(message) {
      if (tty && drawn) out.write('\r\x1b[K');
      out.write(`${message}\n`);
      // On a terminal the bar comes back at the next update; plain output keeps its pace.
      if (tty) last = -Infinity;
    },
    done(s) {
      draw(s);
      if (tty) out.write('\n');
    },
  };
}
