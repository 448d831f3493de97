/** Turn one pino JSON line into a short human line for the supervisor's console; other lines pass through. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'svc']);

export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.msg !== 'string' || typeof rec.level !== 'number') return line;
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const extra = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${(LEVELS[rec.level] ?? String(rec.level)).padEnd(5)} ${rec.msg}${extra ? ' ' + extra : ''}`;
}

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links), as child processes may write them.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** `line` without terminal control sequences. Pure. */
export function stripAnsi(line: string): string {
  return line.replace(ANSI, '');
}

/** Whether output to `stream` must carry no terminal codes: it is not a terminal, or NO_COLOR is set. Pure. */
export function plainOutput(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY !== true || (env.NO_COLOR ?? '') !== '';
}
