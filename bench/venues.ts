/**
 * `npm run bench:venues`: gp-icm on two venues' recorded one-minute closes (../shared/data/), each series with
 * the other as related, every minute of 2023-03-01..03-10 an origin — the same run as `npm run backtest -- --csv
 * … --related …` in docs/forecasting.md. Writes bench/results/venues.json. Without the shared files it says so
 * and writes nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '../forecast/backtest.ts';
import { formatResult } from '../forecast/backtest-report.ts';
import { pickModels } from '../forecast/candidates.ts';
import { parseCloses } from '../forecast/closes.ts';
import { benchFlags } from './flags.ts';

benchFlags('venues', {}, {});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = resolve(ROOT, '../shared/data');
const FILES = {
  'kraken BTC-USDC': 'kraken_BTCUSDC_1m_2023-01-01_2023-03-10.csv',
  'binance-us BTC-USD': 'binance-us_BTCUSD_1m_2023-03-01_2023-03-10.csv',
} as const;
const TARGETS = { krakenRatio1: 0.93, coverage90: [0.88, 0.92], alpha: 0.05 } as const;
const say = (s: string) => process.stdout.write(`${s}\n`);

say('# bench:venues');
say(
  `machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
);
say(`node ${process.version}; one thread`);
const paths = Object.values(FILES).map((f) => resolve(DATA, f));
const absent = paths.filter((p) => !existsSync(p));
if (absent.length) {
  say(`input absent: ${absent.join(', ')}; nothing to measure`);
  process.exit(0);
}
const [kraken, binance] = paths.map(
  (p, i) => parseCloses(readFileSync(p, 'utf8'), Object.keys(FILES)[i]!).series,
);
const range = { from: Date.UTC(2023, 2, 1), to: Date.UTC(2023, 2, 11) };
say(`input: ${paths.join(' and ')}; origins every minute in [2023-03-01, 2023-03-11); horizons 1, 5, 10 min`);
say(
  `baseline: persistence on the same origins; targets: kraken +1 ratio <= ${TARGETS.krakenRatio1}, +5 and +10 < 1 with DM at 5%; 90% coverage 0.88-0.92; binance-us not significantly worse`,
);

const models = pickModels(['persistence', 'gp-wiener', 'gp-icm']);
const results = [
  { target: kraken!, related: binance! },
  { target: binance!, related: kraken! },
].map(({ target, related }) => {
  const t0 = performance.now();
  const r = runBacktest({ target, related: [related] }, { models, stride: 1, ...range });
  say(`\n${formatResult(target.name, r)}`);
  say(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const icm = r.rows.filter((row) => row.model === 'gp-icm');
  return {
    target: target.name,
    related: related.name,
    horizons: icm.map((row) => ({
      horizon: row.horizon,
      origins: row.origins,
      ratio: row.ratio,
      dm: row.dm.stat,
      dmP: row.dm.p,
      coverage90: row.coverage90,
    })),
  };
});

mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
const file = resolve(ROOT, 'bench/results/venues.json');
writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), targets: TARGETS, results }, null, 2) + '\n',
);
say(`wrote ${file}`);
