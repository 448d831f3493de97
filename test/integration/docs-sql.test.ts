/**
 * Every SQL block of README.md and docs/*.md marked as a console example (```sql console) runs without error on the
 * real QuestDB, after a seed of rates, polls and forecasts like the ones the pipeline writes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDb } from '../../sql/db.ts';
import { exec, testConfig } from './stack-env.ts';
import { waitForSettled } from './views-support.ts';

const config = testConfig();
const pages = [
  'README.md',
  ...(existsSync('docs') ? readdirSync('docs') : [])
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
/** The statements of the console blocks of a page, each with the line its block starts on. */
const consoleStatements = (md: string) =>
  [...md.matchAll(/^```sql console\n([\s\S]*?)^```/gm)].flatMap((m) => {
    const line = md.slice(0, m.index).split('\n').length;
    return m[1]!
      .split(/;\s*(?:\n|$)/)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean)
      .map((sql) => ({ line, sql }));
  });

const examples = pages.flatMap((page) =>
  consoleStatements(readFileSync(page, 'utf8')).map((s) => ({ page, ...s })),
);

beforeAll(async () => {
  // Two hours of one series each minute, a rejected poll and its rejection, a filtered self quote each minute,
  // and matured forecasts with their scores.
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const lines: string[] = [];
  for (let i = 120; i > 0; i--) {
    const ts = (now - i * 60_000) * 1000; // µs
    const bad = i === 7;
    if (bad)
      lines.push(
        `rejections,source=docs,poller=main,reason=not_json attempt=1i,detail="not JSON: <html>" ${ts}`,
      );
    lines.push(
      `rates,source=docs,currency=USD rate=${40_000 + Math.sin(i) * 50} ${ts}`,
      `polls,source=docs,poller=main${bad ? ',reason=not_json' : ''} attempt=1i,http_status=200i,accepted=${bad ? 0 : 1}i,` +
        `rejected=${bad ? 1 : 0}i,archive_id="docs-${i}",error="${bad ? 'not_json: <html>' : ''}" ${ts}`,
      `rejections,source=docs,poller=main,currency=BTC,reason=self_quote attempt=1i,detail="BTC priced in itself" ${ts}`,
      `forecasts,source=docs,currency=USD,model=persistence made_at=${ts - 60e6}t,horizon=1i,mean=40000.0,` +
        `lo50=39990.0,hi50=40010.0,lo90=39980.0,hi90=40020.0,points=60i,fit_ms=0.1 ${ts}`,
    );
  }
  lines.push(
    `forecast_scores,span=1h,source=docs,currency=USD,model=persistence horizon=1i,n=60i,rmse=20.5,mae=15.1,` +
      `skill=0.0,coverage50=0.5,coverage90=0.9,width90=40.0 ${now * 1000}`,
  );
  const res = await fetch(`http://${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}/write?precision=u`, {
    method: 'POST',
    body: lines.join('\n') + '\n',
  });
  expect(res.status, await res.text()).toBe(204);
  const db = makeDb(config, 1);
  try {
    await waitForSettled(db, { tables: ['rates', 'polls', 'rejections', 'forecasts', 'forecast_scores'] });
  } finally {
    await db.end();
  }
});

describe('console examples in the docs', () => {
  it('exist', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const e of examples)
    it(`${e.page}:${e.line}: ${e.sql.slice(0, 60).replace(/\s+/g, ' ')}`, async () => {
      const r = await exec(config, e.sql);
      expect(r.error, e.sql).toBeUndefined();
    });
});
