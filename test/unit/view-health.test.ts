import { describe, expect, it } from 'vitest';
import { judgeView, RATE_VIEWS, type ViewState } from '../../jobs/view-health.ts';

const now = Date.parse('2024-01-01T12:00:00Z');
const state = (over: Partial<ViewState> = {}): ViewState => ({
  name: 'rates_1h',
  status: 'valid',
  refreshTxn: 10,
  baseTxn: 10,
  lastRefreshFinish: now - 1_000,
  invalidationReason: null,
  ...over,
});

describe('judgeView', () => {
  it('calls a view current once it has caught up with its base', () => {
    expect(judgeView(state(), now, 60_000)).toBe('current');
    expect(judgeView(state({ lastRefreshFinish: null }), now, 60_000)).toBe('current');
  });

  it('gives a view behind its base the grace period to catch up, then calls it stale', () => {
    expect(judgeView(state({ refreshTxn: 9 }), now, 60_000)).toBe('catching-up');
    expect(judgeView(state({ refreshTxn: 9, lastRefreshFinish: now - 60_000 }), now, 60_000)).toBe('stale');
    expect(judgeView(state({ refreshTxn: 9, lastRefreshFinish: null }), now, 60_000)).toBe('stale');
  });

  it('counts the grace from the first sighting when the last refresh is older (a restart after downtime)', () => {
    const old = state({ refreshTxn: 9, lastRefreshFinish: now - 3_600_000 });
    expect(judgeView(old, now, 60_000, now)).toBe('catching-up');
    expect(judgeView(old, now, 60_000, now - 59_999)).toBe('catching-up');
    expect(judgeView(old, now, 60_000, now - 60_000)).toBe('stale');
    expect(judgeView(state({ refreshTxn: 9, lastRefreshFinish: null }), now, 60_000, now)).toBe(
      'catching-up',
    );
    expect(judgeView(state(), now, 60_000, now - 3_600_000)).toBe('current');
  });

  it('calls an invalidated view invalid, whatever its transactions say, and a missing one missing', () => {
    expect(
      judgeView(state({ status: 'invalid', invalidationReason: 'drop partition operation' }), now, 1),
    ).toBe('invalid');
    expect(judgeView(undefined, now, 1)).toBe('missing');
  });

  it('checks rates_1h before rates_1d, which is built on it', () => {
    expect(RATE_VIEWS.map((v) => v.name)).toEqual(['rates_1h', 'rates_1d']);
    for (const v of RATE_VIEWS) {
      expect(v.refreshIncremental).toBe(`REFRESH MATERIALIZED VIEW ${v.name} INCREMENTAL`);
      expect(v.refreshFull).toBe(`REFRESH MATERIALIZED VIEW ${v.name} FULL`);
    }
  });
});
