/**
 * The forecaster service: every minute, FORECAST_DELAY_SECONDS after it, forecast every series from the hour
 * up to that minute and write the projections. A failed round (QuestDB down) is logged and the next minute
 * tries again: forecasts are derived data, recomputed rather than spooled.
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

  const loop = async () => {
    let next = floorToMinute(clock.now() - delay) + 60_000;
    while (!abort.signal.aborted) {
      const wait = next + delay - clock.now();
      if (wait > 0) await clock.sleep(wait, abort.signal);
      if (abort.signal.aborted) break;
      try {
        const r = await runForecastMinute({ db, ilp, log, sources: config.FORECAST_SOURCES }, next);
        log.info({ origin: new Date(next).toISOString(), ...r }, 'forecast round');
      } catch (err) {
        log.warn(
          { origin: new Date(next).toISOString(), err: (err as Error).message },
          'forecast round failed',
        );
      }
      // A round that overran skips to the current minute: old origins are not worth computing late.
      next = Math.max(next + 60_000, floorToMinute(clock.now() - delay));
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
