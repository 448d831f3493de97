/**
 * A QuestDB and an AWS emulator of a test's (or the soak's) own, on the test ports shifted by `shift`, with their
 * own data folder: they can be killed and restarted without disturbing anything else.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeLogger } from '../../common/log.ts';
import { runMigrations } from '../../migrations/migrate.ts';
import { makeDb } from '../../sql/db.ts';
import { runBootstrap } from '../../stack/bootstrap.ts';
import { installMoto, startMoto } from '../../stack/moto.ts';
import { stopManaged } from '../../stack/process.ts';
import { installQuestdb, startQuestdb } from '../../stack/questdb.ts';
import { testConfig, TEST_ENV } from '../integration/stack-env.ts';

export async function startPrivateStack(shift: number, overrides: Record<string, string> = {}) {
  const shifted = (k: string) => String(Number(TEST_ENV[k]) + shift);
  const config = testConfig({
    QUESTDB_HTTP_PORT: shifted('QUESTDB_HTTP_PORT'),
    QUESTDB_PG_PORT: shifted('QUESTDB_PG_PORT'),
    QUESTDB_ILP_TCP_PORT: shifted('QUESTDB_ILP_TCP_PORT'),
    QUESTDB_HEALTH_PORT: shifted('QUESTDB_HEALTH_PORT'),
    MOTO_PORT: shifted('MOTO_PORT'),
    AWS_ENDPOINT_URL: `http://127.0.0.1:${shifted('MOTO_PORT')}`,
    ...overrides,
  });
  const stackDir = resolve(process.cwd(), config.STACK_DIR);
  const jar = await installQuestdb(stackDir, () => {});
  const python = await installMoto(stackDir, () => {});
  const root = resolve(stackDir, 'test', `private-${shift}-${process.pid}`);
  const dataDir = `${root}-s3`;
  rmSync(root, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  const ports = {
    http: config.QUESTDB_HTTP_PORT,
    pg: config.QUESTDB_PG_PORT,
    ilpTcp: config.QUESTDB_ILP_TCP_PORT,
    health: config.QUESTDB_HEALTH_PORT,
  };
  const startDb = () => startQuestdb({ jar, root, host: '127.0.0.1', ports, name: 'questdb-private' });
  const startAws = async () => {
    const m = await startMoto({
      python,
      dataDir,
      host: '127.0.0.1',
      port: config.MOTO_PORT,
      name: 'moto-private',
    });
    const s3 = makeS3(config);
    const firehose = makeFirehose(config);
    await runBootstrap({ s3, firehose }, config);
    s3.destroy();
    firehose.destroy();
    return m;
  };
  let questdb = await startDb();
  const db = makeDb(config, 1);
  await runMigrations(db, makeLogger('migrate', 'silent'));
  await db.end();
  let moto = await startAws();
  return {
    config,
    /** Crash QuestDB (SIGKILL: no clean shutdown). */
    async killQuestdb() {
      questdb.child.kill('SIGKILL');
      await questdb.exited;
    },
    async restartQuestdb() {
      questdb = await startDb();
    },
    async killMoto() {
      moto.child.kill('SIGKILL');
      await moto.exited;
    },
    /** The emulator comes back with its S3 objects (its folder) but no delivery stream: bootstrapped again. */
    async restartMoto() {
      moto = await startAws();
    },
    async stop() {
      await stopManaged(moto);
      await stopManaged(questdb);
      rmSync(root, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
