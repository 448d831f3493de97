import { pino, type Logger } from 'pino';

export type Log = Logger;

/** One logger per process; services name themselves so the supervisor's prefixes and JSON agree. */
export function makeLogger(name: string, level = 'info', destination?: { write(s: string): void }): Log {
  const opts = { name, level, base: { svc: name } };
  return destination ? pino(opts, destination) : pino(opts);
}

/** A command's logger: readable lines on stdout (services log JSON, which the supervisor formats). */
export function makeCliLogger(name: string, level = 'info'): Log {
  return makeLogger(name, level, { write: (s) => process.stdout.write(`${formatLogLine(s.trimEnd())}\n`) });
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'svc']);

/** One pino JSON line as a short human line; other lines pass through. Pure. */
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
