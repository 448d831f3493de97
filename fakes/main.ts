/**
 * The fake rate APIs as a process, for `npm start -- --demo` and soak tests that drive it from outside:
 * listens on FAKE_API_PORT and serves the minute of the services' clock (`clockFromConfig`: the wall clock, or
 * the accelerated one that CLOCK_SPEED, CLOCK_SIM_START and CLOCK_REAL_START describe, so it serves the same
 * simulated minute the poller asks for). FAKE_SEED picks the walk; FAKE_MAX_SERVED bounds the record of served
 * responses that `GET /_control/served` returns.
 */
import { loadConfigOrExit } from '../common/config.ts';
import { clockFromConfig } from '../common/clock.ts';
import { makeLogger } from '../common/log.ts';
import { makeFakeApi } from './server.ts';

const config = loadConfigOrExit();
const log = makeLogger('fake-api', config.LOG_LEVEL);
const clock = clockFromConfig(config);
const api = makeFakeApi({ seed: config.FAKE_SEED, clock, maxServed: config.FAKE_MAX_SERVED, log });

try {
  const url = await api.start(config.FAKE_API_PORT);
  log.info(
    { url, seed: config.FAKE_SEED, clockSpeed: config.CLOCK_SPEED, now: new Date(clock.now()).toISOString() },
    'fake rate APIs listening',
  );
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
