/** An area's page and its HTMX panel from one renderer; the panel pushes the canonical page URL, if any. */
import { Hono } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import { Layout, Retrying } from './layout.tsx';

type Rendered = { body: HtmlEscapedString | Promise<HtmlEscapedString>; page?: string; status?: 200 | 503 };
type Render = (query: URLSearchParams) => Promise<Rendered>;

export function areaRoutes(title: string, consoleUrl: string, render: Render): Hono {
  const app = new Hono();
  const path = `/${title.toLowerCase()}`;
  app.get('/', async (c) => {
    const r = await render(new URL(c.req.url).searchParams);
    return c.html(
      <Layout title={title} active={path} consoleUrl={consoleUrl}>
        {r.body}
      </Layout>,
      r.status ?? 200,
    );
  });
  app.get('/panel', async (c) => {
    const r = await render(new URL(c.req.url).searchParams);
    if (r.page !== undefined) c.header('HX-Push-Url', r.page);
    return c.html(r.body, r.status ?? 200);
  });
  return app;
}

/** A fresh install's answer for an area: the waiting banner in place of its body. */
export const waiting = (area: string): Rendered => ({
  body: <Retrying kind="waiting" id={`${area}-body`} retryUrl={`/${area}/panel`} />,
  page: `/${area}`,
});
