/**
 * A dashboard area's page and its HTMX panel from one renderer: `/` wraps the body in the layout, `/panel`
 * returns the body alone and, when the area has a canonical URL for the request, pushes it into the browser's
 * history so a reload or a shared link shows the same view.
 */
import type { Hono } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import { Layout } from './layout.tsx';

export type Rendered = {
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
  page?: string;
  status?: 200 | 503;
};

export function pageAndPanel(
  app: Hono,
  p: {
    title: string;
    path: string;
    consoleUrl: string;
    render(query: URLSearchParams): Promise<Rendered>;
  },
): void {
  app.get('/', async (c) => {
    const r = await p.render(new URL(c.req.url).searchParams);
    return c.html(
      <Layout title={p.title} active={p.path} consoleUrl={p.consoleUrl}>
        {r.body}
      </Layout>,
      r.status ?? 200,
    );
  });
  app.get('/panel', async (c) => {
    const r = await p.render(new URL(c.req.url).searchParams);
    if (r.page !== undefined) c.header('HX-Push-Url', r.page);
    return c.html(r.body, r.status ?? 200);
  });
}
