/** The forecaster service: FORECAST_DELAY_SECONDS after each minute, on the jobs' runner (retries, catch-up). */
import { pathToFileURL } from 'node:url';
import { clockFromConfig } from '../common/clock.ts';
import { loadConfigOrExit } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { makeMemoryRunStore } from '../jobs/run-store.ts';
import { makeRunner } from '../jobs/runner.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { makeForecastJob } from './forecaster.ts';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = loadConfigOrExit();
  const log = makeLogger('forecaster', config.LOG_LEVEL);
  const clock = clockFromConfig(config);
  const db = makeDb(config, 1);
  const ilp = await makeIlp(config, { retryTimeoutMs: 2_000 });
  const delayMs = config.FORECAST_DELAY_SECONDS * 1000;
  const job = makeForecastJob({ db, ilp, log, sources: config.FORECAST_SOURCES }, delayMs);
  const runner = makeRunner({ jobs: [job], store: makeMemoryRunStore(), clock, log });
  const abort = new AbortController();
  const running = runner.run(abort.signal);
  log.info({ delaySeconds: config.FORECAST_DELAY_SECONDS }, 'forecaster started');
  const shutdown = () => {
    abort.abort();
    void running
      .then(() => runner.stop())
      .then(() => ilp.close())
      .catch(() => {})
      .finally(() => void db.end().finally(() => process.exit(0)));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, shutdown);
}
