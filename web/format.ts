/** How numbers, times and CSV look on the dashboard. Pure. */

const rateFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

type Num = number | null | undefined;
const known = (v: Num): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** A rate with two decimals and thousands separators; "–" for none. (Intl is slow for a table of them.) */
export function fmtRate(v: Num): string {
  if (!known(v)) return '–';
  if (Math.abs(v) >= 1e15) return rateFmt.format(v);
  const [int, frac] = Math.abs(v).toFixed(2).split('.') as [string, string];
  return `${v < 0 && `${int}.${frac}` !== '0.00' ? '-' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

export const fmtInt = (v: Num): string => (known(v) ? intFmt.format(v) : '–');

/** A fraction as a percentage with one decimal ("0.0 %", never "-0.0 %"). */
export const fmtPct = (v: Num): string =>
  known(v) ? `${(v * 100).toFixed(1).replace(/^-(0\.0)$/, '$1')} %` : '–';

/** The sign a fraction shows as a percentage with one decimal: 0 when it shows as 0.0 %. */
export const shownSign = (v: number): number => Math.sign(Number((v * 100).toFixed(1))) || 0;

/** A time in UTC, to the minute (or second): 2026-11-27 20:35 UTC. */
export function fmtTime(t: Date | number, seconds = false): string {
  const iso = new Date(t).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)} UTC`;
}

/** A duration, coarsely: 42 s, 5 min, 3 h, 2 d. */
export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** One CSV cell (RFC 4180): dates as ISO, null as empty, quoted when it holds a comma, quote or newline. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : String(v);
  // A leading = + - @ would be read as a formula by a spreadsheet: text that starts so is quoted with a '.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV with a header line. */
export function toCsv<R extends Record<string, unknown>>(columns: (keyof R & string)[], rows: R[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}
