import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, configEnv, parseConfig, VARIABLES } from '../../common/config.ts';

describe('configuration', () => {
  it('has a default for every variable that parses', () => {
    const c = parseConfig({});
    expect(c.QUESTDB_HTTP_PORT).toBe(9000);
    expect(c.SOURCES).toEqual(['blockchain']);
    expect(c.STACK_EMULATOR).toBe(true);
    expect(c.AWS_ENDPOINT_URL).toBe('');
    expect(Object.keys(c).sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('parses lists, numbers and booleans', () => {
    const c = parseConfig({ SOURCES: ' coinbase, coingecko ', WEB_PORT: '8081', STACK_EMULATOR: 'no' });
    expect(c.SOURCES).toEqual(['coinbase', 'coingecko']);
    expect(c.WEB_PORT).toBe(8081);
    expect(c.STACK_EMULATOR).toBe(false);
  });

  it('takes a Firehose buffer of 0 to 900 seconds, 900 by default', () => {
    expect(parseConfig({}).FIREHOSE_BUFFER_SECONDS).toBe(900);
    expect(parseConfig({ FIREHOSE_BUFFER_SECONDS: '60' }).FIREHOSE_BUFFER_SECONDS).toBe(60);
    for (const bad of ['901', '-1', '1.5', 'soon'])
      expect(() => parseConfig({ FIREHOSE_BUFFER_SECONDS: bad }), bad).toThrow(/FIREHOSE_BUFFER_SECONDS/);
    expect(() => parseConfig({ FIREHOSE_BUFFER_SECONDS: '1800' })).toThrow(/0-900/);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      parseConfig({
        QUESTDB_PG_PORT: 'abc',
        WEB_PORT: '70000',
        SOURCES: 'blockchain,kraken',
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
    expect(r.stderr).toMatch(/Invalid configuration \(3 problems\)/);
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
