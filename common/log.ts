import { pino, type Logger } from 'pino';

export type Log = Logger;

/** One logger per process; services name themselves so the supervisor's prefixes and JSON agree. */
export function makeLogger(name: string, level = 'info', destination?: { write(s: string): void }): Log {
  const opts = { name, level, base: { svc: name } };
  return destination ? pino(opts, destination) : pino(opts);
}
