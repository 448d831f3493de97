import { describe, expect, it } from 'vitest';
import { forecastAll } from '../../../forecast/forecaster.ts';
import { makeGpIcm } from '../../../forecast/multi.ts';
import { chooseModels, makePromotion, type StoredBacktest } from '../../../forecast/promotion.ts';
import type { Db } from '../../../sql/db.ts';

const DAY = 86_400_000;
const RUN = new Date(Date.UTC(2030, 0, 8, 3, 30));

/** One stored row at each horizon: `better` a significant, honest win over persistence; else a tie. */
function rows(source: string, model: string, better: boolean, ts = RUN, spanDays = 7): StoredBacktest[] {
  return [1, 5, 10].map(() => ({
    ts,
    source,
    currency: 'USD',
    model,
    from_ts: new Date(ts.getTime() - spanDays * DAY),
    to_ts: ts,
    rmse_ratio: better ? 0.9 : 1,
    dm_stat: better ? -4 : 0,
    dm_p: better ? 0.001 : 1,
    coverage90: 0.9,
  }));
}
const series = (source: string, icmBetter: boolean, ts = RUN, spanDays = 7) => [
  ...rows(source, 'persistence', false, ts, spanDays),
  ...rows(source, 'gp-wiener', false, ts, spanDays),
  ...rows(source, 'gp-icm', icmBetter, ts, spanDays),
];

describe('chooseModels: stored daily backtest rows → the model per series', () => {
  it('applies the promotion rule per series', () => {
    const chosen = chooseModels([...series('a', true), ...series('b', false)]);
    expect(chosen).toEqual(
      new Map([
        ['a/USD', 'gp-icm'],
        ['b/USD', 'gp-wiener'],
      ]),
    );
  });

  it('reads only each series its newest run', () => {
    const older = new Date(RUN.getTime() - DAY);
    expect(chooseModels([...series('a', true, older), ...series('a', false)]).get('a/USD')).toBe('gp-wiener');
    expect(chooseModels([...series('a', false, older), ...series('a', true)]).get('a/USD')).toBe('gp-icm');
  });

  it('needs a week of origins, and treats NULL statistics as no evidence', () => {
    expect(chooseModels(series('a', true, RUN, 3)).get('a/USD')).toBe('gp-wiener');
    const nulls = series('a', true).map((r) => (r.model === 'gp-icm' ? { ...r, dm_p: null } : r));
    expect(chooseModels(nulls).get('a/USD')).toBe('gp-wiener');
  });
});

describe('forecastAll with a promoted model', () => {
  const T0 = Date.UTC(2030, 0, 1, 12, 0);
  const origin = T0 + 60 * 60_000;
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const lead: number[] = [50_000];
  for (let i = 1; i <= 62; i++) lead.push(lead[i - 1]! + 20 * rnd());
  const rowsOf = (source: string, shift: number) =>
    Array.from({ length: 60 }, (_, i) => ({
      ts: new Date(T0 + (i + 1) * 60_000),
      source,
      currency: 'USD',
      rate: lead[i + 1 + shift]! + (source === 'b' ? 3 : 0),
    }));
  const rates = [...rowsOf('a', 0), ...rowsOf('b', 1)];

  it('runs it only for its series, on the related windows, recording the lead it used', () => {
    const trained = makeGpIcm({}, { use: { name: 'b/USD', lead: 1 }, scales: new Map() });
    const { forecasts } = forecastAll(rates, origin, undefined, new Map([['a/USD', trained]]));
    const icm = forecasts.filter((f) => f.model === 'gp-icm');
    expect(icm.map((f) => f.source)).toEqual(['a', 'a', 'a']);
    expect(icm.every((f) => f.leadSeries === 'b/USD' && f.leadMinutes === 1)).toBe(true);
    const others = forecasts.filter((f) => f.model !== 'gp-icm');
    expect(others).toHaveLength(2 * 2 * 3);
    expect(others.every((f) => f.leadSeries === null && f.leadMinutes === null)).toBe(true);
  });

  it('records no lead when training chose no related series', () => {
    const untrained = makeGpIcm({}, { use: null, scales: new Map() });
    const { forecasts } = forecastAll(rates, origin, undefined, new Map([['b/USD', untrained]]));
    const icm = forecasts.filter((f) => f.model === 'gp-icm');
    expect(icm.map((f) => [f.source, f.leadSeries, f.leadMinutes])).toEqual([
      ['b', null, null],
      ['b', null, null],
      ['b', null, null],
    ]);
  });
});

describe('makePromotion: reads and training it costs', () => {
  it('re-reads the choice hourly, reads a promoted series and its related ones only to retrain every 6 h', async () => {
    const reads: string[] = [];
    const db: Db = {
      query: async <R extends object>(sql: string, params?: unknown[]) => {
        reads.push(sql.includes('FROM backtests') ? 'backtests' : `${params![0]}/${params![1]}`);
        return (sql.includes('FROM backtests') ? [...series('a', true), ...series('b', false)] : []) as R[];
      },
      end: async () => {},
    };
    const promote = makePromotion(db, [1, 5, 10]);
    const keys = ['a', 'b', 'c'].map((source) => ({ source, currency: 'USD' }));
    const at = (minutes: number) => RUN.getTime() + 30 * 60_000 + minutes * 60_000;
    const first = await promote(at(0), keys);
    expect([...first.keys()]).toEqual(['a/USD']);
    expect(first.get('a/USD')!.name).toBe('gp-icm');
    expect(reads.sort()).toEqual(['a/USD', 'b/USD', 'backtests', 'c/USD']);
    reads.length = 0;
    const next = await promote(at(1), keys);
    expect(next.get('a/USD')).toBe(first.get('a/USD'));
    expect(reads).toEqual([]);
    await promote(at(60), keys);
    expect(reads).toEqual(['backtests']);
    reads.length = 0;
    await promote(at(6 * 60), keys);
    expect(reads.sort()).toEqual(['a/USD', 'b/USD', 'backtests', 'c/USD']);
    expect((await promote(at(6 * 60 + 1), [keys[0]!])).size).toBe(0);
  });
});
