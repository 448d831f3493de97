/** The dashboard service on WEB_HOST:WEB_PORT; SIGINT/SIGTERM close the server, the pool and the AWS clients. */
import { serve } from '@hono/node-server';
import { makeS3 } from '../common/aws.ts';
import { makeFirehose } from '../common/firehose.ts';
import { clockFromConfig } from '../common/clock.ts';
import { isMain, runService } from '../common/cli.ts';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { makeApp } from './app.tsx';
import { makeAwsChecks } from './checks.ts';

/** Start serving; resolves to the stop function once listening. */
export async function startWeb(config: Config, log: Log): Promise<() => Promise<void>> {
  const clock = clockFromConfig(config);
  const db = makeDb(config, 4);
  const s3 = makeS3(config);
  const firehose = makeFirehose(config);
  const checks = makeAwsChecks({
    s3,
    firehose,
    bucket: config.RAW_BUCKET,
    stream: config.FIREHOSE_STREAM,
    prefix: config.RAW_PREFIX,
    endpoint: config.AWS_ENDPOINT_URL,
    clock,
  });
  const app = makeApp({ db, clock, checks, config, log });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.WEB_HOST, port: config.WEB_PORT }, () => resolve(s));
    s.once('error', reject);
  });
  log.info({ url: `http://${config.WEB_HOST}:${config.WEB_PORT}/` }, 'dashboard listening');
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.end();
    s3.destroy();
    firehose.destroy();
  };
}

// Open keep-alive and polling connections must not hold the process past a few seconds.
if (isMain(import.meta.url)) runService('web', startWeb, 5_000);
