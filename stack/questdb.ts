/** QuestDB from the Maven Central jar: install, configure for loopback and a quiet log, start, wait. */
import { existsSync, mkdirSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { QUESTDB_NEEDS_JAVA, QUESTDB_VERSION } from './versions.ts';
import { isUp, run, spawnManaged, waitForHttp, type Managed, type Say } from './process.ts';

export type QuestdbPorts = { http: number; pg: number; ilpTcp: number; health: number };

/** The jar's path under the stack folder. */
export function questdbJarPath(stackDir: string): string {
  return resolve(stackDir, 'questdb', `questdb-${QUESTDB_VERSION}.jar`);
}

/** Fetch the pinned jar with Maven into `<stackDir>/questdb/` unless it is already there. */
export async function installQuestdb(stackDir: string, say: Say): Promise<string> {
  const jar = questdbJarPath(stackDir);
  if (existsSync(jar)) return jar;
  const tmp = resolve(stackDir, 'questdb', '.download');
  mkdirSync(tmp, { recursive: true });
  say(`installing QuestDB ${QUESTDB_VERSION} from Maven Central (org.questdb:questdb) ...`);
  const artifact = `-Dartifact=org.questdb:questdb:${QUESTDB_VERSION}`;
  const args = ['-q', '-B', '-Dstyle.color=never', 'dependency:copy', artifact, `-DoutputDirectory=${tmp}`];
  await run('mvn', args, { cwd: tmp });
  // Rename into place last, so an interrupted download never looks installed.
  renameSync(join(tmp, `questdb-${QUESTDB_VERSION}.jar`), jar);
  return jar;
}

/** Worker pools whose idle spinning is cut short (see serverConf). */
const SPIN_LIMITS = ['shared.worker', 'wal.apply.worker'];

/** server.conf text: every listener on loopback, telemetry off, small idle pools. Pure, so it is unit-tested. */
export function serverConf(host: string, ports: QuestdbPorts): string {
  return [
    `http.net.bind.to=${host}:${ports.http}`,
    `http.min.net.bind.to=${host}:${ports.health}`,
    `pg.net.bind.to=${host}:${ports.pg}`,
    `line.tcp.net.bind.to=${host}:${ports.ilpTcp}`,
    'line.udp.enabled=false',
    'telemetry.enabled=false',
    // Two cores: keep QuestDB's worker pools small so tests and services get CPU too.
    'shared.worker.count=2',
    // Idle workers sleep soon instead of spinning, which on a small machine takes CPU from QuestDB's clients.
    ...SPIN_LIMITS.flatMap((pool) => [
      `${pool}.yield.threshold=10`,
      `${pool}.nap.threshold=20`,
      `${pool}.sleep.threshold=50`,
    ]),
    '',
  ].join('\n');
}

/** log.conf text: stdout from errors up (INFO lines busy QuestDB's log thread; QDB_LOG_W_STDOUT_LEVEL). */
export function logConf(): string {
  return [
    'writers=stdout',
    'w.stdout.class=io.questdb.log.LogConsoleWriter',
    'w.stdout.level=ERROR',
    '',
  ].join('\n');
}

/** The java binary for the pinned QuestDB: Java 25 (Temurin, beside the default JDK) for 9.4+, else `java`. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QUESTDB_JAVA) return env.QUESTDB_JAVA;
  if (QUESTDB_NEEDS_JAVA < 25) return 'java';
  const jvmDir = '/usr/lib/jvm';
  const candidate = existsSync(jvmDir) ? readdirSync(jvmDir).find((d) => /(^|-)25(-|$)/.test(d)) : undefined;
  if (!candidate) throw new Error(`QuestDB ${QUESTDB_VERSION} needs Java 25; none found in ${jvmDir}`);
  return join(jvmDir, candidate, 'bin', 'java');
}

/** Start QuestDB with its data under `root`; resolves once the health endpoint answers. */
export async function startQuestdb(opts: {
  jar: string;
  root: string;
  host: string;
  ports: QuestdbPorts;
  out?: (line: string) => void;
  name?: string;
}): Promise<Managed> {
  const { jar, root, host, ports } = opts;
  // Another QuestDB already answering there would pass the health check below in this one's place.
  if (await isUp(`http://${host}:${ports.health}/`))
    throw new Error(`a QuestDB already answers on ${host}:${ports.health}: stop it or choose other ports`);
  mkdirSync(join(root, 'conf'), { recursive: true });
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(root, 'conf', 'server.conf'), serverConf(host, ports));
  writeFileSync(join(root, 'conf', 'log.conf'), logConf());
  const java = findJava();
  const jvmFlags = [
    '-Xms256m',
    '-Xmx2g',
    // QuestDB unpacks its native library to the temp folder: keep it inside the stack, where exec is allowed.
    `-Djava.io.tmpdir=${tmp}`,
    ...(QUESTDB_NEEDS_JAVA >= 25
      ? [
          '--sun-misc-unsafe-memory-access=allow',
          '--enable-native-access=io.questdb',
          '--add-opens=java.base/java.lang=io.questdb',
          '--add-opens=java.base/java.lang.reflect=io.questdb',
          '--add-opens=java.base/java.nio=io.questdb',
          '--add-opens=java.base/java.time.zone=io.questdb',
          '--add-exports=java.base/jdk.internal.vm=io.questdb',
        ]
      : []),
  ];
  const m = spawnManaged(
    opts.name ?? 'questdb',
    java,
    [...jvmFlags, '-p', jar, '-m', 'io.questdb/io.questdb.ServerMain', '-d', root],
    { out: opts.out ?? (() => {}), pretty: false },
  );
  await waitForHttp(`http://${host}:${ports.health}/`, 60_000, m.exited);
  return m;
}
