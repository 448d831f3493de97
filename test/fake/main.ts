/**
 * The fake rate APIs as a process, for `npm start -- --demo` and soak tests that drive it from outside:
 * listens on FAKE_API_PORT with the wall clock; FAKE_SEED (default 1) picks the walk, FAKE_MAX_SERVED (default
 * 20000) bounds the record of served responses that `GET /_control/served` returns.
 */
import { loadConfigOrExit } from '../../common/config.ts';
import { systemClock } from '../../common/clock.ts';
import { makeLogger } from '../../common/log.ts';
import { makeFakeApi } from './server.ts';

/** Parse a non-negative integer environment variable, or exit with status 2 naming it. */
function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim() ?? '';
  if (raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`${name}=${JSON.stringify(raw)}: must be a whole number >= 0\n`);
    process.exit(2);
  }
  return n;
}

const config = loadConfigOrExit();
const log = makeLogger('fake-api', config.LOG_LEVEL);
const seed = intFromEnv('FAKE_SEED', 1);
const api = makeFakeApi({ seed, clock: systemClock, maxServed: intFromEnv('FAKE_MAX_SERVED', 20_000), log });

try {
  const url = await api.start(config.FAKE_API_PORT);
  log.info({ url, seed }, 'fake rate APIs listening');
} catch (err) {
  log.fatal({ err }, `cannot listen on port ${config.FAKE_API_PORT}`);
  process.exit(1);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  void api.stop().then(() => log.info('stopped'));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
