/** Which windows a job owes: epoch-aligned windows due `delayMs` after their end, caught up by policy. */

/** A half-open span of time [start, end), epoch ms UTC. */
export type Window = { start: number; end: number };

export type WindowPolicy = {
  /** Window length in ms. */
  windowMs: number;
  /** Time after a window's end before it is due. */
  delayMs: number;
  /** Run every missed window (`each`) or only the newest (`latest`). */
  catchUp: 'each' | 'latest';
  /** Missed windows starting further back than this from the newest due window's end are given up. */
  maxLookbackMs: number;
  /** At most this many windows in one plan; the caller plans again for the rest. */
  maxBatch: number;
};

/** What to run now, oldest first, and the span given up (recorded as skipped), if any. */
export type Plan = { windows: Window[]; skipped: Window | null };

/** Check a policy once, when a job is registered, so planning never loops on nonsense. */
export function validatePolicy(name: string, p: WindowPolicy): void {
  const problems: string[] = [];
  if (!Number.isInteger(p.windowMs) || p.windowMs <= 0) problems.push('windowMs must be a positive integer');
  if (!Number.isFinite(p.delayMs) || p.delayMs < 0) problems.push('delayMs must be >= 0');
  if (!Number.isFinite(p.maxLookbackMs) || p.maxLookbackMs < p.windowMs)
    problems.push('maxLookbackMs must be at least one window');
  if (!Number.isInteger(p.maxBatch) || p.maxBatch < 1) problems.push('maxBatch must be a positive integer');
  if (problems.length) throw new Error(`job ${name}: ${problems.join('; ')}`);
}

/** The windows due at `now` for a job done up to `doneUntil` (null: never ran, so the newest only). Pure. */
export function planWindows(policy: WindowPolicy, doneUntil: number | null, now: number): Plan {
  const w = policy.windowMs;
  const dueEnd = Math.floor((now - policy.delayMs) / w) * w;
  const newest = dueEnd - w;
  // A window only partly done (the window length changed) is run again whole: jobs are idempotent.
  let start = doneUntil === null ? newest : Math.floor(doneUntil / w) * w;
  if (start > newest) return { windows: [], skipped: null };

  const keep = policy.catchUp === 'latest' ? 1 : Math.max(1, Math.floor(policy.maxLookbackMs / w));
  const oldest = dueEnd - keep * w;
  let skipped: Window | null = null;
  if (start < oldest) {
    skipped = { start, end: oldest };
    start = oldest;
  }
  const windows: Window[] = [];
  for (let s = start; s <= newest && windows.length < policy.maxBatch; s += w)
    windows.push({ start: s, end: s + w });
  return { windows, skipped };
}

/** The first instant after `now` at which one of the job's windows becomes due (a window's end plus the delay). Pure. */
export function nextDueAt(policy: Pick<WindowPolicy, 'windowMs' | 'delayMs'>, now: number): number {
  const w = policy.windowMs;
  return (Math.floor((now - policy.delayMs) / w) + 1) * w + policy.delayMs;
}
