/**
 * A real PostgreSQL server for tests: `DATABASE_URL` when set, else a
 * throwaway cluster started from the local PostgreSQL binaries (Debian's
 * `postgresql` package), else none, so the caller can skip visibly:
 *
 * ```ts
 * Deno.test({ name: "… [postgres]", ignore: !postgresAvailable() }, async () => {
 *   const server = (await startPostgres())!;
 *   const db = await server.createDatabase();
 *   try { … db.url … } finally { await db.drop(); await server.stop(); }
 * });
 * ```
 *
 * @module
 */
import postgres from "postgres";
import { freePort } from "./net.ts";

/** A database created for one test; drop it when done. */
export interface TestDatabase {
  /** Connection string for this database. */
  readonly url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** A server to create test databases on. */
export interface PostgresServer {
  /** Connection string of the server's maintenance database. */
  readonly url: string;
  /** Creates a fresh, uniquely named database. */
  createDatabase(): Promise<TestDatabase>;
  /** Stops the server if this helper started it (`DATABASE_URL` is left alone). */
  stop(): Promise<void>;
  /** A cluster this helper started can be taken down (`-m fast`) and up again, data kept. */
  outage?: { down(): Promise<void>; up(): Promise<void> };
}

const BIN_ROOT = "/usr/lib/postgresql";

/** The newest `/usr/lib/postgresql/<major>/bin` that has `initdb`, or null. */
function findBinDir(): string | null {
  let majors: number[];
  try {
    majors = [...Deno.readDirSync(BIN_ROOT)].map((e) => Number(e.name)).filter(Number.isInteger);
  } catch {
    return null;
  }
  for (const major of majors.sort((a, b) => b - a)) {
    const dir = `${BIN_ROOT}/${major}/bin`;
    try {
      Deno.statSync(`${dir}/initdb`);
      return dir;
    } catch {
      continue;
    }
  }
  return null;
}

/** True when {@linkcode startPostgres} can provide a server (decided without starting one). */
export function postgresAvailable(): boolean {
  return Boolean(Deno.env.get("DATABASE_URL")) || findBinDir() !== null;
}

/** True when this machine has PostgreSQL's binaries, so a cluster of the test's own can start. */
export function postgresBinariesAvailable(): boolean {
  return findBinDir() !== null;
}

/**
 * A throwaway cluster of the caller's own, even where `DATABASE_URL` names a
 * shared server: fault tests stop and start it. `null` without the binaries.
 */
export async function startOwnPostgres(): Promise<PostgresServer | null> {
  const bin = findBinDir();
  return bin === null ? null : await startCluster(bin);
}

/**
 * Returns a server for test databases: the one at `DATABASE_URL`, a new
 * throwaway cluster, or `null` when neither is possible.
 */
export async function startPostgres(): Promise<PostgresServer | null> {
  const external = Deno.env.get("DATABASE_URL");
  if (external) return server(external, async () => {});
  const bin = findBinDir();
  return bin === null ? null : await startCluster(bin);
}

/**
 * Runs `fn` on a fresh database of a server from {@linkcode startPostgres},
 * then drops the database and stops the server; only where
 * {@linkcode postgresAvailable} holds.
 */
export async function withTestDatabase<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const server = await startPostgres();
  if (server === null) throw new Error("no PostgreSQL: guard the test with postgresAvailable()");
  try {
    const db = await server.createDatabase();
    try {
      return await fn(db);
    } finally {
      await db.drop();
    }
  } finally {
    await server.stop();
  }
}

function server(
  url: string,
  stop: () => Promise<void>,
  outage?: PostgresServer["outage"],
): PostgresServer {
  return {
    url,
    ...(outage === undefined ? {} : { outage }),
    async createDatabase(): Promise<TestDatabase> {
      const name = `test_${crypto.randomUUID().replaceAll("-", "")}`;
      await admin(url, (sql) => sql.unsafe(`create database ${name}`));
      const dbUrl = new URL(url);
      dbUrl.pathname = `/${name}`;
      return {
        url: dbUrl.href,
        drop: () => admin(url, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`)),
      };
    },
    stop,
  };
}

async function admin(url: string, fn: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await fn(sql);
  } finally {
    await sql.end();
  }
}

async function run(argv: string[]): Promise<string> {
  const [cmd, ...args] = argv;
  const out = await new Deno.Command(cmd!, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${argv.join(" ")} failed (${out.code}):\n${text}`);
  return text;
}

/** Starts a trust-auth cluster in a temp dir, as `postgres` when running as root. */
async function startCluster(bin: string): Promise<PostgresServer> {
  const root = await Deno.makeTempDir({ prefix: "pg_test_" });
  // PostgreSQL refuses to run as root, so the cluster belongs to `postgres`.
  const asRoot = Deno.uid() === 0;
  if (asRoot) {
    const uid = Number(await run(["id", "-u", "postgres"]));
    const gid = Number(await run(["id", "-g", "postgres"]));
    await Deno.chown(root, uid, gid);
  }
  const as = (argv: string[]) => run(asRoot ? ["runuser", "-u", "postgres", "--", ...argv] : argv);
  const data = `${root}/data`;
  const port = freePort();
  await as([`${bin}/initdb`, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses=127.0.0.1",
    // Throwaway data: durability only costs time.
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
  ].join(" ");
  const pgCtl = (...args: string[]) => as([`${bin}/pg_ctl`, "-D", data, ...args]);
  const start = async () => void await pgCtl("-l", `${root}/log`, "-o", options, "-w", "start");
  // Fast, not immediate: with fsync off a crash would lose what the test committed before it.
  const down = async () => void await pgCtl("-m", "fast", "-w", "stop");
  await start();
  return server(`postgres://postgres@127.0.0.1:${port}/postgres`, async () => {
    try {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => {}); // already down after an outage
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }, { down, up: start });
}
