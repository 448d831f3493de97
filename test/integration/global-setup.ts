/**
 * Starts the real QuestDB and the AWS emulator for the integration tests, unless they already answer on the
 * test ports (then they are reused and left running). A fresh QuestDB data folder per run keeps tests honest.
 * Then applies the migrations and bootstraps the bucket and delivery stream, as `npm start` does.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeLogger } from '../../common/log.ts';
import { makeDb } from '../../sql/db.ts';
import { runMigrations } from '../../migrations/migrate.ts';
import { runBootstrap } from '../../stack/bootstrap.ts';
import { installMoto, startMoto } from '../../stack/moto.ts';
import { installQuestdb, startQuestdb } from '../../stack/questdb.ts';
import { isUp, stopManaged, type Managed } from '../../stack/process.ts';
import { TEST_PORT_OFFSET, testConfig } from './stack-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default async function setup(): Promise<() => Promise<void>> {
  const config = testConfig();
  const stackDir = resolve(ROOT, config.STACK_DIR);
  const say = (s: string) => process.stderr.write(`[integration setup] ${s}\n`);
  const started: Managed[] = [];
  const host = config.QUESTDB_HOST;

  if (!(await isUp(`http://${host}:${config.QUESTDB_HEALTH_PORT}/`))) {
    const jar = await installQuestdb(stackDir, say);
    const root = resolve(stackDir, 'test', `questdb-${TEST_PORT_OFFSET}`);
    rmSync(root, { recursive: true, force: true });
    say(`starting QuestDB on ${host}:${config.QUESTDB_HTTP_PORT} (data ${root})`);
    started.push(
      await startQuestdb({
        jar,
        root,
        host,
        name: 'questdb-test',
        ports: {
          http: config.QUESTDB_HTTP_PORT,
          pg: config.QUESTDB_PG_PORT,
          ilpTcp: config.QUESTDB_ILP_TCP_PORT,
          health: config.QUESTDB_HEALTH_PORT,
        },
      }),
    );
  } else say('reusing the QuestDB already running on the test ports');

  if (!(await isUp(`http://127.0.0.1:${config.MOTO_PORT}/moto-api/data.json`))) {
    const python = await installMoto(stackDir, say);
    const dataDir = resolve(stackDir, 'test', `s3-${TEST_PORT_OFFSET}`);
    rmSync(dataDir, { recursive: true, force: true });
    say(`starting moto server on 127.0.0.1:${config.MOTO_PORT} (S3 objects in ${dataDir})`);
    started.push(
      await startMoto({ python, dataDir, host: '127.0.0.1', port: config.MOTO_PORT, name: 'moto-test' }),
    );
  } else say('reusing the AWS emulator already running on the test port');

  const teardown = async () => {
    for (const m of started.reverse()) await stopManaged(m, 20_000);
  };
  try {
    const db = makeDb(config, 1);
    try {
      await runMigrations(db, makeLogger('migrate', 'warn'));
    } finally {
      await db.end();
    }
    const s3 = makeS3(config);
    const firehose = makeFirehose(config);
    await runBootstrap({ s3, firehose }, config);
    s3.destroy();
    firehose.destroy();
  } catch (err) {
    // A failed setup must not leave QuestDB or moto running (nor keep vitest from exiting).
    await teardown();
    throw err;
  }
  return teardown;
}
