import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCHES, summarize } from '../../bench/summary.ts';

/** Each benchmark's JSON as `npm run bench` wrote it on the development VM (2026-11-27). */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/bench/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe("npm run bench's summary table", () => {
  it('reads a number for every figure of every benchmark', () => {
    for (const name of BENCHES) {
      const rows = summarize(name, fixture(name));
      expect(rows.length, name).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.value, `${name}: ${r.figure}`).toMatch(/\d/);
        expect(r.baseline, `${name}: ${r.figure}`).not.toMatch(/NaN|undefined|—/);
        expect(r.ratio, `${name}: ${r.figure}`).not.toMatch(/NaN|undefined|—/);
      }
    }
  });

  it('puts the normalizer beside JSON.parse of the same bodies, with the ratio', () => {
    const j = structuredClone(fixture('ingest')) as { normalizer: Record<string, unknown>[] };
    j.normalizer = [
      { ...j.normalizer[0], source: 'coinbase', normalizeRowsPerS: 300_000, jsonParseRowsPerS: 120_000 },
    ];
    const rows = summarize('ingest', j).filter((r) => r.figure.startsWith('normalizer'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.baseline).toBe('JSON.parse 120000');
    expect(rows[0]!.ratio).toBe('2.50');
  });

  it('judges the backfill by the median of its rounds; best against best is shown, not judged', () => {
    const j = structuredClone(fixture('backfill')) as {
      best: Record<string, unknown>;
      perRound: Record<string, unknown>;
    };
    j.best = { ...j.best, ratio: 0.81 };
    j.perRound = { ...j.perRound, ratios: [0.9, 0.62, 0.78], median: 0.78, target: 0.8 };
    const [best, perRound] = summarize('backfill', j);
    expect(best).toMatchObject({ ratio: '0.81', target: '—', met: '—' });
    expect(perRound).toMatchObject({ ratio: '0.780', target: '≥ 0.8', met: 'NO' });
    // Just below the target: enough digits that it does not read as the target itself.
    j.perRound = { ...j.perRound, median: 0.7983 };
    expect(summarize('backfill', j)[1]).toMatchObject({ value: '0.798', ratio: '0.798', met: 'NO' });
    j.perRound = { ...j.perRound, median: 0.8 };
    expect(summarize('backfill', j)[1]).toMatchObject({ met: 'yes' });
  });

  it("sets the replay's reading alone beside the ceiling, and its wait for the first batch, when measured", () => {
    const j = structuredClone(fixture('backfill'));
    expect(summarize('backfill', j)).toHaveLength(2);
    j.medianSeconds = { ceiling: 4, replay: 5, read: 1.6 };
    const read = summarize('backfill', j)[2];
    expect(read).toMatchObject({
      value: '1.60',
      baseline: 'ILP ceiling 4.00 s, replay 5.00 s',
      ratio: '0.40',
    });
    j.medianSeconds = { ceiling: 4, replay: 5, read: 1.6, firstBatch: 0.6 };
    j.inputs = { ...(j.inputs as object), slackMs: 86_400_000 };
    expect(summarize('backfill', j)[3]).toMatchObject({
      figure: 'replay-s3 first batch written after, median of rounds (s)',
      value: '0.60',
      baseline: 'replay 5.00 s, reading 24 h of arrivals first',
      ratio: '0.12',
    });
  });

  it('sets the replay with its reading in a second thread beside the one-thread replay, when measured', () => {
    const j = structuredClone(fixture('backfill'));
    j.perRound = { ratios: [0.7, 0.68, 0.72], median: 0.7, target: 0.8 };
    j.medianSeconds = { ceiling: 3.5, replay: 5, read: 1.3, threaded: 5.6 };
    expect(summarize('backfill', j).map((r) => r.figure)).not.toContain(
      'replay-s3 reading in a second thread ÷ ceiling, median of rounds',
    );
    j.threaded = { ratios: [0.63, 0.6, 0.62], median: 0.62 };
    expect(summarize('backfill', j).at(-1)).toMatchObject({
      figure: 'replay-s3 reading in a second thread ÷ ceiling, median of rounds',
      value: '0.620',
      baseline: 'one thread 0.700; 5.60 s against 5.00 s',
      ratio: '0.89',
      target: '—',
    });
  });

  it("sets one thread's bound beside the measured ratio, when measured", () => {
    const j = structuredClone(fixture('backfill'));
    j.perRound = { ratios: [0.7, 0.68, 0.72], median: 0.7, target: 0.8 };
    expect(summarize('backfill', j).map((r) => r.figure)).not.toContain(
      "one thread's bound on replay-s3 ÷ ceiling, median of rounds",
    );
    // A ceiling of 3.3 s whose writing took 2.6 s of main-thread CPU, reading 1.4 s: 3.3 / 4.0.
    const mainCpuSeconds = { ceiling: 2.6, read: 1.4, replay: 4.1, replayWaiting: 0.7 };
    j.medianSeconds = { ceiling: 3.3, replay: 5, read: 1.6 };
    j.oneThreadBound = { ratios: [0.825, 0.8, 0.85], median: 0.825, mainCpuSeconds };
    expect(summarize('backfill', j).at(-1)).toMatchObject({
      figure: "one thread's bound on replay-s3 ÷ ceiling, median of rounds",
      value: '0.825',
      baseline:
        'main-thread CPU: ceiling 2.60 s + reading 1.40 s; replay 4.10 s, and 0.70 s waiting for a core, in 5.00 s',
      ratio: '0.85',
      target: '—',
      met: '—',
    });
  });

  it('judges the venue backtest: the first target must beat persistence, the second must not be significantly worse', () => {
    const h = (horizon: number, ratio: number, dm: number, dmP: number, coverage90: number) => ({
      horizon,
      origins: 5000,
      ratio,
      dm,
      dmP,
      coverage90,
    });
    const j = {
      targets: { krakenRatio1: 0.93, coverage90: [0.88, 0.92], alpha: 0.05 },
      results: [
        {
          target: 'k',
          related: 'b',
          horizons: [h(1, 0.92, -9, 1e-9, 0.9), h(5, 0.95, -1, 0.3, 0.9), h(10, 0.97, -4, 1e-4, 0.87)],
        },
        { target: 'b', related: 'k', horizons: [h(1, 1.01, 2.5, 0.01, 0.9), h(5, 1.01, 1.2, 0.2, 0.9)] },
      ],
    };
    expect(summarize('venues', j).map((r) => r.met)).toEqual(['yes', 'NO', 'NO', 'NO', 'yes']);
  });
});
