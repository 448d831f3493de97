/**
 * README.md and docs/*.md against the code: every `npm run` script they name exists, every relative link and
 * image resolves, and the environment variables they document are exactly the configuration schema's. The README
 * stays a short front page that links every docs page and quotes no dated or timed figure (bench/REPORT.md has
 * those), the docs quote no benchmark figure either, and the migrations table lists the migrations there are.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VARIABLES } from '../../common/config.ts';

const pages = [
  'README.md',
  ...(existsSync('docs') ? readdirSync('docs').filter((f) => f.endsWith('.md')) : []).map((f) =>
    join('docs', f),
  ),
];
const text = new Map(pages.map((p) => [p, readFileSync(p, 'utf8')]));
const scripts = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: object }).scripts,
);
/** Variables the docs may name that are not the product's configuration: read by tests, benches or other programs. */
const FOREIGN =
  /^(TEST_PORT_OFFSET|BENCH_PORT_OFFSET|SPARK_MASTER|CHROMIUM_PATH|QDB_[A-Z0-9_]+|SPARK_HOME|JAVA_HOME|XDG_CACHE_HOME|AWS_PROFILE|NO_COLOR)$/;

/** `npm run x`, `npm run x -- args` anywhere in the text. Pure. */
const scriptsNamed = (md: string) => [...md.matchAll(/\bnpm run ([\w:-]*[\w-])/g)].map((m) => m[1]!);
/** Relative targets of links and images, without their #anchor. Pure. */
const relativeLinks = (md: string) =>
  [...md.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((t) => t !== '' && !/^[a-z]+:/i.test(t));
/** The text outside fenced code blocks and inline code. Pure. */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
/** A benchmark's traces: machine models, load, throughput and millisecond figures. */
const BENCH_FIGURE = /\b(Intel|AMD|Xeon|EPYC)\b|load average|\b\d[\d,.]*\s?(ms|rows\/s)\b/;
/** In the README also any date and any figure in seconds. */
const DATED_OR_TIMED = /\b20\d\d-\d\d-\d\d\b|\b\d+(\.\d+)?\s?s\b/;
/** The pages of docs/ the README must link, one per concern. */
const DOCS_PAGES = ['operations', 'analytics', 'backfills', 'forecasting', 'development'];

/** Names written as environment variables (`NAME` in backticks or `NAME=value`): with an underscore, or the schema's. Pure. */
const variablesNamed = (md: string) =>
  [...md.matchAll(/(?:`|\b)([A-Z][A-Z0-9_]*[A-Z0-9])(?=`|=)/g)]
    .map((m) => m[1]!)
    .filter((v) => v.includes('_') || v in VARIABLES);

describe('docs', () => {
  it('finds what it checks for (the extractors themselves)', () => {
    expect(scriptsNamed('run `npm run bench:web -- --x`, npm run soak or npm run bench:*')).toEqual([
      'bench:web',
      'soak',
      'bench',
    ]);
    expect(relativeLinks('[a](docs/x.md#y) ![b](img/p.png) [c](https://x.org/a.md) [d](#top)')).toEqual([
      'docs/x.md',
      'img/p.png',
    ]);
    expect(
      variablesNamed('set `WEB_PORT`, `SOURCES` or LOG_LEVEL=debug; `DEDUP` and SAMPLE BY are not'),
    ).toEqual(['WEB_PORT', 'SOURCES', 'LOG_LEVEL']);
    expect(prose('a `2026-01-01` b\n```sh\nnpm run x # 12 ms\n```\nc')).toBe('a  b\n\nc');
    for (const bad of ['p95 12.5 ms', '80,412 rows/s', 'on an AMD EPYC', 'load average 4.1'])
      expect(bad).toMatch(BENCH_FIGURE);
    for (const bad of ['run 2026-12-03', 'took 14 s', 'in 2.5s']) expect(bad).toMatch(DATED_OR_TIMED);
    for (const ok of ['Java 17', 'rolling 30m windows', 'Node.js 24 LTS', 'the 90% interval'])
      expect(ok).not.toMatch(new RegExp(`${BENCH_FIGURE.source}|${DATED_OR_TIMED.source}`));
  });

  for (const [page, md] of text) {
    it(`${page}: every npm script it names exists`, () => {
      for (const s of scriptsNamed(md)) expect(scripts, `${page} names npm run ${s}`).toContain(s);
    });

    it(`${page}: every relative link and image resolves`, () => {
      for (const target of relativeLinks(md))
        expect(existsSync(join(dirname(page), decodeURIComponent(target))), `${page} links ${target}`).toBe(
          true,
        );
    });

    it(`${page}: quotes no benchmark figure outside code`, () => {
      expect(prose(md).match(BENCH_FIGURE)?.[0], `${page} quotes a figure`).toBeUndefined();
    });

    it(`${page}: every environment variable it names is in the configuration schema`, () => {
      for (const v of variablesNamed(md))
        if (!FOREIGN.test(v)) expect(Object.keys(VARIABLES), `${page} names ${v}`).toContain(v);
    });
  }

  it('documents every variable of the configuration schema somewhere', () => {
    const named = new Set(pages.flatMap((p) => variablesNamed(text.get(p)!)));
    for (const v of Object.keys(VARIABLES)) expect(named.has(v), `${v} is documented`).toBe(true);
  });

  it('docs/backfills.md lists every migration, and only those', () => {
    const files = readdirSync('migrations').filter((f) => /^\d{4}_.+\.sql$/.test(f));
    const listed = [...text.get('docs/backfills.md')!.matchAll(/^\| `(\d{4}_[^`]+\.sql)` /gm)].map(
      (m) => m[1],
    );
    expect(files.length).toBeGreaterThan(0);
    expect(listed).toEqual(files.sort());
  });

  describe('README.md', () => {
    const readme = text.get('README.md')!;

    it('is a front page: at most 250 lines', () => {
      expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    });

    it('holds no date or timing figure outside code (bench/REPORT.md does)', () => {
      expect(prose(readme).match(DATED_OR_TIMED)?.[0], 'README quotes a date or time').toBeUndefined();
      expect(readme).toContain('](bench/REPORT.md)');
    });

    it('shows the dashboard screenshot the committed script produces', () => {
      expect(readme).toContain('](docs/img/dashboard.png)');
      expect(readme).toContain('npm run docs:screenshot');
      expect(existsSync('scripts/screenshot.ts')).toBe(true);
    });

    it('has its sections in order, with five console queries', () => {
      const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(headings).toEqual([
        'Quick start',
        'Prerequisites',
        'Ports',
        'Five queries for the console',
        'Where next',
      ]);
      expect(readme.match(/^```sql console$/gm)).toHaveLength(5);
    });

    it('links every docs page, and every docs page exists', () => {
      for (const name of DOCS_PAGES) {
        expect(existsSync(`docs/${name}.md`), `docs/${name}.md`).toBe(true);
        expect(readme, `README links docs/${name}.md`).toContain(`](docs/${name}.md)`);
      }
    });
  });
});
