/** What every area of the dashboard is built from, and the errors the web edge turns into statuses. */
import type { Clock } from '../common/types.ts';
import type { Analytics } from '../sql/analytics.ts';
import type { WebQueries } from '../sql/web.ts';
import type { Catalog } from './catalog.ts';
import type { Checks } from './checks.ts';

export type AreaDeps = {
  queries: WebQueries;
  analytics: Analytics;
  catalog: Catalog;
  checks: Checks;
  clock: Clock;
  consoleUrl: string;
};

/**
 * A database error that is not an answer from QuestDB (refused, reset, timed out, pool exhausted): QuestDB is
 * down or unreachable, shown as a banner that retries. An error QuestDB itself answered carries `severity`.
 */
export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { severity?: unknown; name?: string; code?: unknown; message?: string };
  if (e.name === 'ParamError') return false;
  if (e.severity !== undefined) return false;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return true;
  return /connect|terminated|timeout|closed|ECONN|socket/i.test(e.message ?? '');
}

/** The first path segment of a page, when it is one of the areas with a panel fragment. */
export const AREAS = ['forecast', 'history', 'aggregates', 'health'] as const;
export type Area = (typeof AREAS)[number];
