/**
 * The forecaster service: every minute, FORECAST_DELAY_SECONDS after it, forecast every series from the hour
 * up to that minute and write the projections. A failed round (QuestDB down) is retried until it succeeds, and
 * the origins missed meanwhile are caught up in order (bounded), so an outage leaves no minute unforecast.
 */
import { pathToFileURL } from 'node:url';
import { clockFromConfig, floorToMinute } from '../common/clock.ts';
import { loadConfigOrExit } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { runForecastMinute } from './forecaster.ts';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = loadConfigOrExit();
  const log = makeLogger('forecaster', config.LOG_LEVEL);
  const clock = clockFromConfig(config);
  const db = makeDb(config, 1);
  const ilp = await makeIlp(config, { retryTimeoutMs: 2_000 });
  const abort = new AbortController();
  const delay = config.FORECAST_DELAY_SECONDS * 1000;

  // Origins missed while QuestDB was down are caught up when it returns (at most this many), so every minute with
  // an hour of data gets its forecast; the numbers are the same as on time, computed from the same hour.
  const MAX_CATCH_UP = 60;
  const loop = async () => {
    let next = floorToMinute(clock.now() - delay) + 60_000;
    while (!abort.signal.aborted) {
      const wait = next + delay - clock.now();
      if (wait > 0) await clock.sleep(wait, abort.signal);
      if (abort.signal.aborted) break;
      try {
        const r = await runForecastMinute({ db, ilp, log, sources: config.FORECAST_SOURCES }, next);
        log.info({ origin: new Date(next).toISOString(), ...r }, 'forecast round');
        next = Math.max(next + 60_000, floorToMinute(clock.now() - delay) - MAX_CATCH_UP * 60_000);
      } catch (err) {
        log.warn(
          { origin: new Date(next).toISOString(), err: (err as Error).message },
          'forecast round failed; will retry',
        );
        await clock.sleep(5_000, abort.signal);
      }
    }
  };
  const running = loop();
  log.info({ delaySeconds: config.FORECAST_DELAY_SECONDS }, 'forecaster started');
  const shutdown = () => {
    abort.abort();
    void running
      .then(() => ilp.close())
      .catch(() => {})
      .finally(() => void db.end().finally(() => process.exit(0)));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
