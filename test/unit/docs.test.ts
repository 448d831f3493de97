/** The README, docs/operations.md and docker-compose.yml are checked against the code, so the docs cannot drift. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VARIABLES } from '../../common/config.ts';
import { configTable } from '../../stack/config-table.ts';
import { MOTO_VERSION, PYSPARK_VERSION, QUESTDB_VERSION } from '../../stack/versions.ts';
import { SERVICES } from '../../stack/services.ts';

const readme = readFileSync('README.md', 'utf8');
const operations = readFileSync('docs/operations.md', 'utf8');
type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  hostname?: string;
};
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

describe('docs/operations.md', () => {
  it('has the configuration table generated from the schema', () => {
    const section = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(
      operations,
    )?.[1];
    expect(section).toBe(configTable());
  });
});

describe('docs/lake.md', () => {
  it('installs the PySpark version the tests run', () => {
    expect(readFileSync('docs/lake.md', 'utf8')).toContain(`pip install pyspark==${PYSPARK_VERSION}`);
  });
});

describe('README', () => {
  it('names the test command that .ci/run calls', () => {
    expect(readme).toContain('npm test');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });
});

describe('docker-compose.yml', () => {
  const apps = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  it('pins QuestDB and moto to the versions the local stack runs', () => {
    expect(compose.services.questdb?.image).toBe(`questdb/questdb:${QUESTDB_VERSION}`);
    expect(compose.services.moto?.image).toBe(`motoserver/moto:${MOTO_VERSION}`);
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build === undefined) expect(s.image, name).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
    }
  });

  it('has a service for every process that exists, each built from the one Dockerfile', () => {
    const expected = SERVICES.filter((s) => !s.demoOnly && existsSync(s.entry)).map((s) => s.name);
    for (const name of expected) expect(compose.services[name]?.build, name).toBe('.');
    for (const [name, s] of apps) {
      const entry = s.command?.join(' ').match(/[\w/]+\.js/g) ?? [];
      expect(entry.length, `${name} runs a compiled entry`).toBeGreaterThan(0);
      for (const e of entry)
        expect(existsSync(e.replace(/\.js$/, '.ts')), `${name}: source of ${e}`).toBe(true);
      expect(s.command?.join(' '), name).not.toMatch(/tsx/);
    }
  });

  it('uses only environment variables the config schema knows', () => {
    for (const [name, s] of apps) {
      for (const v of Object.keys(s.environment ?? {}))
        expect(Object.keys(VARIABLES), `${name}: ${v}`).toContain(v);
    }
  });

  it('publishes ports on 127.0.0.1 only, the ones the README lists', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) {
        expect(p, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        const host = p.split(':')[1];
        expect(readme, `README lists port ${host}`).toMatch(new RegExp(`^\\| ${host} \\|`, 'm'));
      }
    }
  });

  it('comes up in order: health checks on the infrastructure, a one-shot bootstrap first', () => {
    expect(compose.services.questdb?.healthcheck).toBeDefined();
    expect(compose.services.moto?.healthcheck).toBeDefined();
    expect(compose.services.bootstrap?.depends_on).toMatchObject({
      questdb: { condition: 'service_healthy' },
      moto: { condition: 'service_healthy' },
    });
    for (const [name, s] of apps.filter(([n]) => n !== 'bootstrap')) {
      expect(s.depends_on?.bootstrap, name).toEqual({ condition: 'service_completed_successfully' });
    }
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['questdb-data']));
  });

  it('gives the poller a fixed hostname, since its spool lock names the host', () => {
    expect(compose.services.poller?.hostname).toMatch(/\S/);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };

  it('runs compiled JavaScript on production dependencies, without a TypeScript loader', () => {
    for (const dev of ['tsx', 'esbuild', 'typescript', 'ml-matrix'])
      expect(pkg.dependencies).not.toHaveProperty(dev);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^CMD \["node", "[\w/]+\.js"\]$/m);
  });

  it('copies no test folder', () => {
    expect(dockerfile).not.toMatch(/^COPY\s+(\S+\s+)*\.?\/?test\b/m);
  });
});
