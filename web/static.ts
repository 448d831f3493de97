/**
 * The dashboard's files and browser libraries from the installed packages (no CDN: works offline), read once,
 * served with an ETag and revalidated on every use.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);

/** URL path under /static → file on disk. */
export const STATIC_FILES: Record<string, string> = {
  '/app.js': new URL('./static/app.js', import.meta.url).pathname,
  '/app.css': new URL('./static/app.css', import.meta.url).pathname,
  '/vendor/htmx.min.js': require.resolve('htmx.org/dist/htmx.min.js'),
  '/vendor/uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  '/vendor/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};

export function staticRoutes(): Hono {
  const files = new Map(
    Object.entries(STATIC_FILES).map(([path, file]) => {
      const body = readFileSync(file);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      const type = file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
      return [path, { body, etag, type }];
    }),
  );
  const app = new Hono();
  app.get('/*', (c) => {
    const f = files.get(c.req.path.replace(/^\/static/, ''));
    if (!f) return c.text('not found', 404);
    c.header('ETag', f.etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('If-None-Match') === f.etag) return c.body(null, 304);
    c.header('Content-Type', f.type);
    return c.body(new Uint8Array(f.body));
  });
  return app;
}
