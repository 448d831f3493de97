/** The forecaster service: FORECAST_DELAY_SECONDS after each minute, on the jobs' runner (retries, catch-up). */
import { isMain, runService } from '../common/cli.ts';
import { clockFromConfig } from '../common/clock.ts';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import { makeMemoryRunStore } from '../jobs/run-store.ts';
import { makeRunner } from '../jobs/runner.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { makeForecastJob } from './forecaster.ts';

/** Start the forecaster; the returned function stops it after the round under way. */
export async function startForecaster(config: Config, log: Log): Promise<() => Promise<void>> {
  const db = makeDb(config, 1);
  const ilp = await makeIlp(config, { retryTimeoutMs: 2_000 });
  const delayMs = config.FORECAST_DELAY_SECONDS * 1000;
  const job = makeForecastJob({ db, ilp, log, sources: config.FORECAST_SOURCES }, delayMs);
  const runner = makeRunner({
    jobs: [job],
    store: makeMemoryRunStore(),
    clock: clockFromConfig(config),
    log,
  });
  const abort = new AbortController();
  const running = runner.run(abort.signal);
  log.info({ delaySeconds: config.FORECAST_DELAY_SECONDS }, 'forecaster started');
  return async () => {
    abort.abort();
    await running
      .then(() => runner.stop())
      .then(() => ilp.close())
      .catch(() => {});
    await db.end();
  };
}

if (isMain(import.meta.url)) runService('forecaster', startForecaster);
