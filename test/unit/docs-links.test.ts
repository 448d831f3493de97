/**
 * README.md and docs/*.md against the code: every `npm run` script they name exists, every relative link and
 * image resolves, and the environment variables they document are exactly the configuration schema's.
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
  /^(TEST_PORT_OFFSET|BENCH_PORT_OFFSET|SPARK_MASTER|QDB_[A-Z0-9_]+|SPARK_HOME|JAVA_HOME|XDG_CACHE_HOME|AWS_PROFILE)$/;

/** `npm run x`, `npm run x -- args` anywhere in the text. Pure. */
const scriptsNamed = (md: string) => [...md.matchAll(/\bnpm run ([\w:-]*[\w-])/g)].map((m) => m[1]!);
/** Relative targets of links and images, without their #anchor. Pure. */
const relativeLinks = (md: string) =>
  [...md.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((t) => t !== '' && !/^[a-z]+:/i.test(t));
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

    it(`${page}: every environment variable it names is in the configuration schema`, () => {
      for (const v of variablesNamed(md))
        if (!FOREIGN.test(v)) expect(Object.keys(VARIABLES), `${page} names ${v}`).toContain(v);
    });
  }

  it('documents every variable of the configuration schema somewhere', () => {
    const named = new Set(pages.flatMap((p) => variablesNamed(text.get(p)!)));
    for (const v of Object.keys(VARIABLES)) expect(named.has(v), `${v} is documented`).toBe(true);
  });
});
