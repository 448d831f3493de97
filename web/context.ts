/** What every area of the dashboard is built from, and the errors the web edge turns into statuses. */
import type { Clock } from '../common/types.ts';
import type { Analytics } from '../sql/analytics.ts';
import { DbUnavailable } from '../sql/db.ts';
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

/** QuestDB down or unreachable: shown as a banner that retries by itself. */
export const isUnavailable = (err: unknown): boolean => err instanceof DbUnavailable;

/** The areas, in the navigation's order: each a page and a panel fragment under its first path segment. */
export const AREAS = ['forecast', 'history', 'aggregates', 'health'] as const;
export const areaTitle = (area: string) => area[0]!.toUpperCase() + area.slice(1);
