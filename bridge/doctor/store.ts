/**
 * The doctor's database row: the store the environment names
 * (`storeConfigFromEnv`) is reachable and every migration in
 * `supabase/migrations` is recorded as applied. It only reads: no migration
 * is applied here, so the doctor never changes a production database.
 *
 * @module
 */
import type { SqlAdapter } from "../../store/adapter.ts";
import { loadMigrations, type Migration } from "../../store/migrate.ts";
import { DEFAULT_PGLITE_DIR, type StoreConfig } from "../../store/open.ts";
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "store";
const NAME = "database";

/** Opens the database the config names without migrating it. */
export async function openAdapter(config: StoreConfig): Promise<SqlAdapter> {
  if (config.url === undefined) {
    const dir = config.pgliteDir ?? DEFAULT_PGLITE_DIR;
    return await (await import("../../store/pglite.ts")).openPgliteAdapter(dir);
  }
  return (await import("../../store/postgres.ts")).openPostgresAdapter(config.url, {
    maxConnections: 1,
  });
}

/** Where the store is, for display: the server's host and database, or PGlite's directory. */
export function describeStore(config: StoreConfig): string {
  if (config.url === undefined) return `PGlite ${config.pgliteDir ?? DEFAULT_PGLITE_DIR}`;
  const url = URL.parse(config.url);
  return url ? `PostgreSQL ${url.host}${url.pathname}` : "PostgreSQL (unparsable URL)";
}

/** Migration versions not recorded in `applied`, in order. */
export function missingMigrations(
  migrations: readonly Migration[],
  applied: readonly string[],
): Migration[] {
  const done = new Set(applied);
  return migrations.filter((m) => !done.has(m.version));
}

/** What {@linkcode checkStore} needs (injected in tests). */
export interface StoreProbe {
  config: StoreConfig;
  timeoutMs: number;
  open?: (config: StoreConfig) => Promise<SqlAdapter>;
  migrations?: () => Promise<Migration[]>;
}

/** The database row. */
export async function checkStore(probe: StoreProbe): Promise<CheckRow> {
  const where = describeStore(probe.config);
  const secret = URL.parse(probe.config.url ?? "")?.password ?? "";
  const said = (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    return (secret
      ? text.replaceAll(secret, "…").replaceAll(decodeURIComponent(secret), "…")
      : text)
      .slice(0, 160);
  };
  let db: SqlAdapter | undefined;
  try {
    const work = (async () => {
      db = await (probe.open ?? openAdapter)(probe.config);
      const tables = await db.query<{ name: string | null }>(
        "select to_regclass('supabase_migrations.schema_migrations')::text as name",
      );
      const applied = tables[0]?.name
        ? (await db.query<{ version: string }>(
          "select version from supabase_migrations.schema_migrations",
        )).map((r) => r.version)
        : [];
      return missingMigrations(await (probe.migrations ?? loadMigrations)(), applied);
    })();
    const missing = await withTimeout(work, probe.timeoutMs);
    if (missing === undefined) {
      return fail(GROUP, NAME, `${where}: no answer in ${probe.timeoutMs} ms`, REACH_FIX);
    }
    if (missing.length > 0) {
      const names = missing.map((m) => `${m.version}_${m.name}`).join(", ");
      if (probe.config.migrate ?? probe.config.url === undefined) {
        // openStore applies them when the bridge (or dev) starts: STORE_MIGRATE, on for PGlite.
        return ok(GROUP, NAME, `${where}: reachable; applied at the next start: ${names}`);
      }
      return fail(
        GROUP,
        NAME,
        `${where}: ${missing.length} migration(s) not applied: ${names}`,
        "apply them with `supabase db push` (or start the bridge once with STORE_MIGRATE=true)",
      );
    }
    return ok(GROUP, NAME, `${where}: reachable, every migration applied`);
  } catch (error) {
    return fail(GROUP, NAME, `${where}: ${said(error)}`, REACH_FIX);
  } finally {
    await (db as SqlAdapter | undefined)?.close().catch(() => {});
  }
}

const REACH_FIX =
  "check DATABASE_URL (or SUPABASE_DB_URL): host, port, password, sslmode, and that this host may connect (Supabase network restrictions, pooler port 6543)";

/** A skipped database row (e.g. PGlite held by the running dev stack). */
export function storeSkipped(reason: string): CheckRow {
  return skip(GROUP, NAME, reason);
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: number | undefined;
  const late = new Promise<undefined>((resolve) => timer = setTimeout(resolve, ms));
  work.catch(() => {}); // reported by the caller when it wins; dropped when late
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
