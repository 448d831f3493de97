import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configEnv,
  loadEnv,
  parseConfig,
  projectPath,
  readEnvFile,
  VARIABLES,
} from '../../common/config.ts';

describe('configuration', () => {
  it('has a default for every variable that parses', () => {
    const c = parseConfig({});
    expect(c.QUESTDB_HTTP_PORT).toBe(9000);
    expect(c.SOURCES).toEqual(['blockchain']);
    expect(c.STACK_EMULATOR).toBe(true);
    expect(c.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:4566');
    expect(Object.keys(c).sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('points at the local emulator with dummy keys while STACK_EMULATOR is on, as the stack does', () => {
    expect(parseConfig({ MOTO_PORT: '4666' })).toMatchObject({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4666',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    expect(
      parseConfig({
        AWS_ENDPOINT_URL: 'http://moto:5000',
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
      }),
    ).toMatchObject({
      AWS_ENDPOINT_URL: 'http://moto:5000',
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(parseConfig({ STACK_EMULATOR: 'false' })).toMatchObject({
      AWS_ENDPOINT_URL: '',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    });
  });

  it('reads .env of the working directory under the environment, and refuses names it does not know', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    try {
      expect(readEnvFile(dir)).toEqual({});
      writeFileSync(join(dir, '.env'), '# the stack\nQUESTDB_PG_PORT=9812\nMOTO_PORT="4667"\n');
      const env = loadEnv({ MOTO_PORT: '4668', PATH: '/bin' }, dir);
      expect(parseConfig(env)).toMatchObject({ QUESTDB_PG_PORT: 9812, MOTO_PORT: 4668 });
      writeFileSync(join(dir, '.env'), 'QUESTDB_PG_PROT=9812\n');
      expect(() => readEnvFile(dir)).toThrow(/QUESTDB_PG_PROT is not a setting of this project$/m);
      // A name a letter or two short or long of a setting is pointed to it; anything else is not guessed at.
      writeFileSync(join(dir, '.env'), 'POLL_INTERVAL_SECOND=30\nQ=1\nQUESTDB_HOSTNAME=db\n');
      expect(() => readEnvFile(dir)).toThrow(
        new ConfigError([
          `${join(dir, '.env')}: POLL_INTERVAL_SECOND is not a setting of this project; did you mean POLL_INTERVAL_SECONDS?`,
          `${join(dir, '.env')}: Q is not a setting of this project`,
          `${join(dir, '.env')}: QUESTDB_HOSTNAME is not a setting of this project`,
        ]).message,
      );
      // A line that is no assignment would otherwise be passed over, leaving that setting at its default.
      writeFileSync(
        join(dir, '.env'),
        '# ok\n\nPOLL_INTERVAL_SECONDS 5\nWEB_PORT: 9090\nexport MOTO_PORT=4669\n',
      );
      expect(() => readEnvFile(dir)).toThrow(
        new ConfigError([`${join(dir, '.env')}:3: not NAME=value`, `${join(dir, '.env')}:4: not NAME=value`])
          .message,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads CLOCK_SIM_START with the one time parser and refuses an impossible date', () => {
    expect(parseConfig({ CLOCK_SIM_START: '2031-01-05T10:00' }).CLOCK_SIM_START).toBe(
      '2031-01-05T10:00:00.000Z',
    );
    expect(parseConfig({ CLOCK_SIM_START: '2031-01-05T12:00+02:00' }).CLOCK_SIM_START).toBe(
      '2031-01-05T10:00:00.000Z',
    );
    expect(() => parseConfig({ CLOCK_SIM_START: '2031-02-30T00:00Z' })).toThrow(
      /CLOCK_SIM_START="2031-02-30T00:00Z": must be an ISO 8601 time: no such date/,
    );
  });

  it('parses lists, numbers and booleans', () => {
    const c = parseConfig({ SOURCES: ' coinbase, coingecko ', WEB_PORT: '8081', STACK_EMULATOR: 'no' });
    expect(c.SOURCES).toEqual(['coinbase', 'coingecko']);
    expect(c.WEB_PORT).toBe(8081);
    expect(c.STACK_EMULATOR).toBe(false);
    expect(parseConfig({ CLOCK_SPEED: ' 2.5 ' }).CLOCK_SPEED).toBe(2.5);
  });

  it('takes numbers in decimal digits only (coercion would read an empty value as 0), and no source twice', () => {
    for (const [name, bad] of [
      ['WEB_PORT', '0x1F90'],
      ['HTTP_TIMEOUT_MS', '0x10'],
      ['FORECAST_DELAY_SECONDS', ''],
      ['CLOCK_SPEED', '1e2'],
      ['SPOOL_MAX_BYTES', ' '],
    ] as const)
      expect(() => parseConfig({ [name]: bad }), `${name}=${bad}`).toThrow(new RegExp(`${name}=`));
    expect(() => parseConfig({ SOURCES: 'blockchain,coinbase,blockchain' })).toThrow(
      /SOURCES=.*names a source twice/,
    );
  });

  it('takes a Firehose buffer of 0 to 900 seconds, 900 by default', () => {
    expect(parseConfig({}).FIREHOSE_BUFFER_SECONDS).toBe(900);
    expect(parseConfig({ FIREHOSE_BUFFER_SECONDS: '60' }).FIREHOSE_BUFFER_SECONDS).toBe(60);
    for (const bad of ['901', '-1', '1.5', 'soon'])
      expect(() => parseConfig({ FIREHOSE_BUFFER_SECONDS: bad }), bad).toThrow(/FIREHOSE_BUFFER_SECONDS/);
    expect(() => parseConfig({ FIREHOSE_BUFFER_SECONDS: '1800' })).toThrow(/0-900/);
  });

  it('takes a poll interval of 10 to 3600 seconds: a poll must finish 5 s before the next', () => {
    expect(parseConfig({ POLL_INTERVAL_SECONDS: '10' }).POLL_INTERVAL_SECONDS).toBe(10);
    for (const bad of ['5', '9', '3601'])
      expect(() => parseConfig({ POLL_INTERVAL_SECONDS: bad }), bad).toThrow(/POLL_INTERVAL_SECONDS/);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      parseConfig({
        QUESTDB_PG_PORT: 'abc',
        WEB_PORT: '70000',
        SOURCES: 'blockchain,bitfinex',
        COINBASE_URL: 'not a url',
        AWS_ENDPOINT_URL: 'ftp://x',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.split('=')[0])).toEqual([
      'LOG_LEVEL',
      'QUESTDB_PG_PORT',
      'AWS_ENDPOINT_URL',
      'SOURCES',
      'COINBASE_URL',
      'WEB_PORT',
    ]);
    expect(problems.find((p) => p.startsWith('SOURCES'))).toMatch(/unknown source.*blockchain, coinbase/);
    expect(problems.find((p) => p.startsWith('QUESTDB_PG_PORT'))).toMatch(/port/);
  });

  it('an invalid configuration stops a process with status 2 and one message listing every problem', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'migrations/migrate.ts'], {
      env: { ...process.env, QUESTDB_PG_PORT: 'eighty', SOURCES: 'nope', BLOCKCHAIN_URL: '://bad' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^migrate: invalid configuration \(3 problems\): /);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    for (const name of ['QUESTDB_PG_PORT', 'SOURCES', 'BLOCKCHAIN_URL']) expect(r.stderr).toContain(name);
  });

  it('hands a configuration to a child as an environment that parses back to it', () => {
    const own = parseConfig({
      QUESTDB_HTTP_PORT: '19123',
      SOURCES: 'coinbase,coingecko',
      STACK_EMULATOR: 'false',
      CLOCK_SPEED: '60',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:14566',
    });
    const env = configEnv(own);
    expect(env.SOURCES).toBe('coinbase,coingecko');
    expect(env.STACK_EMULATOR).toBe('false');
    expect(parseConfig(env)).toEqual(own);
    expect(parseConfig(configEnv(parseConfig({})))).toEqual(parseConfig({}));
  });
});

describe('projectPath', () => {
  it('puts a relative folder in the project, from the sources and from compiled code in dist/ alike', () => {
    expect(projectPath('.stack')).toBe(resolve('.stack')); // the tests run from the project folder
    const root = mkdtempSync(join(tmpdir(), 'project-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}');
      mkdirSync(join(root, 'dist', 'common'), { recursive: true });
      expect(projectPath('.stack', join(root, 'dist', 'common'))).toBe(join(root, '.stack'));
      expect(projectPath('.stack', join(root, 'common'))).toBe(join(root, '.stack'));
      expect(projectPath('/var/lib/btc', join(root, 'dist', 'common'))).toBe('/var/lib/btc');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
