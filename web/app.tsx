/**
 * The dashboard as a Hono app (web/main.ts serves it, tests call `app.request()`). Errors become statuses only
 * here: a bad parameter 400 with its message, QuestDB unreachable 503 with a retrying banner, else 500.
 */
import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import type { Clock } from '../common/types.ts';
import { makeAnalytics } from '../sql/analytics.ts';
import type { Db } from '../sql/db.ts';
import { makeWebQueries } from '../sql/web.ts';
import { apiRoutes } from './api.ts';
import { makeCatalog } from './catalog.ts';
import type { Checks } from './checks.ts';
import { AREAS, areaTitle, isUnavailable, type AreaDeps } from './context.ts';
import { Layout, Refused, Retrying, url } from './layout.tsx';
import { aggregatesRoutes } from './pages/aggregates.tsx';
import { forecastRoutes } from './pages/forecast.tsx';
import { healthRoutes } from './pages/health.tsx';
import { historyRoutes } from './pages/history.tsx';
import { ParamError } from './params.ts';
import { staticRoutes } from './static.ts';

export type WebDeps = {
  db: Db;
  clock: Clock;
  checks: Checks;
  config: Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT' | 'QUESTDB_CONSOLE_URL'>;
  log?: Log;
  /** How long the lists of sources and currencies are reused (default 30 s). */
  catalogTtlMs?: number;
};

/** Only this site's own files: no inline script, no inline style, no other origin. */
export const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function makeApp(deps: WebDeps): Hono {
  const { config } = deps;
  const queries = makeWebQueries(deps.db);
  const area: AreaDeps = {
    queries,
    analytics: makeAnalytics(deps.db),
    catalog: makeCatalog({ queries, clock: deps.clock, ttlMs: deps.catalogTtlMs || undefined }),
    checks: deps.checks,
    clock: deps.clock,
    // The configured console, else QuestDB's own HTTP port.
    consoleUrl: config.QUESTDB_CONSOLE_URL || `http://${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}/`,
  };
  const app = new Hono();

  app.use(
    secureHeaders({
      contentSecurityPolicy: CSP,
      // Served over plain HTTP on loopback: HSTS would mean nothing (and would stick to the host name).
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: 'require-corp',
      referrerPolicy: 'no-referrer',
      // The older header says what the CSP's frame-ancestors 'none' says.
      xFrameOptions: 'DENY',
      permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [] },
    }),
  );
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    if (!c.req.path.startsWith('/static/')) c.header('Cache-Control', 'no-store');
    // Server time per request, for the benchmark and the browser's devtools.
    c.header('Server-Timing', `app;dur=${(performance.now() - t0).toFixed(1)}`);
    deps.log?.debug({ method: c.req.method, path: c.req.path, status: c.res.status }, 'request');
  });

  // The query goes along: a link such as /?source=kraken&currency=USD opens that series.
  app.get('/', (c) => c.redirect(`/forecast${new URL(c.req.url).search}`, 302));
  app.route('/static', staticRoutes());
  app.route('/forecast', forecastRoutes(area));
  app.route('/history', historyRoutes(area));
  app.route('/aggregates', aggregatesRoutes(area));
  app.route('/health', healthRoutes(area));
  app.route('/api', apiRoutes(area));

  // Every route answers GET (and so HEAD); another method on a path that exists is a 405, not a 404.
  const getPaths = app.routes.filter((r) => r.method === 'GET').map((r) => r.path);
  const exists = (path: string) =>
    getPaths.some((p) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : p === path));

  app.notFound((c) => {
    const { method, path } = c.req;
    const wrongMethod = method !== 'GET' && method !== 'HEAD' && exists(path);
    if (wrongMethod) c.header('Allow', 'GET, HEAD');
    const status = wrongMethod ? 405 : 404;
    const message = wrongMethod
      ? `${method} is not allowed on ${path}; it answers GET and HEAD`
      : path.startsWith('/api')
        ? `no such endpoint ${path}; see /api`
        : `there is no page ${path}`;
    if (path.startsWith('/api')) return c.json({ error: message }, status);
    return c.html(
      <Layout title={wrongMethod ? 'Method not allowed' : 'Not found'} active="" consoleUrl={area.consoleUrl}>
        <Refused message={message} status={status} back={{ href: '/', label: 'the dashboard' }} />
      </Layout>,
      status,
    );
  });

  app.onError((err, c) => {
    const status = err instanceof ParamError ? 400 : isUnavailable(err) ? 503 : 500;
    if (status === 500) deps.log?.error({ err, path: c.req.path }, 'request failed');
    else if (status === 503) deps.log?.warn({ err: err.message, path: c.req.path }, 'QuestDB unavailable');
    const message = {
      400: err.message,
      503: 'QuestDB is not reachable',
      500: 'internal error (see the log)',
    };
    return respondError(c, status, message[status], area.consoleUrl);
  });

  return app;
}

/** An error in the shape the request asked for: JSON for /api, a fragment for htmx, else a full page. */
function respondError(c: Context, status: 400 | 500 | 503, message: string, consoleLink: string) {
  const path = c.req.path;
  const u = new URL(c.req.url);
  if (path.startsWith('/api')) return c.json({ error: message }, status);
  const segment = path.split('/')[1] ?? '';
  const area = (AREAS as readonly string[]).includes(segment) ? segment : null;
  // Retrying a part of the page asks for the same fragment again; a full page retries its area's body.
  const retryUrl =
    area && path === `/${area}`
      ? url(`/${area}/panel`, Object.fromEntries(u.searchParams))
      : u.pathname + u.search;
  if (c.req.header('HX-Request') === 'true') {
    if (status === 503) {
      // The element being replaced keeps its id (a header value: only a plain id is taken over).
      const asked = c.req.header('HX-Target') ?? '';
      const target = /^[a-z][a-z-]{0,40}$/.test(asked) ? asked : `${area ?? 'main'}-body`;
      c.header('HX-Reswap', 'outerHTML');
      return c.html(<Retrying kind="down" id={target} retryUrl={retryUrl} />, status);
    }
    // The message goes to the area's message line, keeping the controls that sent the request.
    c.header('HX-Retarget', '#messages');
    c.header('HX-Reswap', 'innerHTML');
    return c.html(<Refused message={message} status={status} />, status);
  }
  const title = area ? areaTitle(area) : 'Error';
  return c.html(
    <Layout title={title} active={area ? `/${area}` : ''} consoleUrl={consoleLink}>
      {status === 503 && area ? (
        <Retrying kind="down" id={`${area}-body`} retryUrl={retryUrl} />
      ) : (
        <Refused
          message={message}
          status={status}
          back={area ? { href: `/${area}`, label: `${title} with the default choices` } : undefined}
        />
      )}
    </Layout>,
    status,
  );
}
