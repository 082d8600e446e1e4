/**
 * Applies `supabase/migrations/*.sql` in name order and records them in the
 * table the Supabase CLI uses, so a database migrated here and one migrated by
 * `supabase db push` agree on what has run.
 *
 * @module
 */
import type { SqlAdapter } from "./adapter.ts";

/** One migration file. */
export interface Migration {
  /** The timestamp prefix of the file name, e.g. `20261124000000`. */
  version: string;
  /** The rest of the file name without `.sql`, e.g. `voice_calls`. */
  name: string;
  sql: string;
}

/** This repository's `supabase/migrations/` directory. */
export const DEFAULT_MIGRATIONS_DIR: URL = new URL("../supabase/migrations/", import.meta.url);

const FILE_NAME = /^(\d+)_(.+)\.sql$/;

/** Reads every `<version>_<name>.sql` in `dir`, sorted by file name. */
export async function loadMigrations(
  dir: string | URL = DEFAULT_MIGRATIONS_DIR,
): Promise<Migration[]> {
  const base = typeof dir === "string" ? dir.replace(/\/?$/, "/") : dir;
  const names: string[] = [];
  for await (const entry of Deno.readDir(base)) {
    if (entry.isFile && FILE_NAME.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(names.map(async (file) => {
    const [, version, name] = FILE_NAME.exec(file)!;
    const path = typeof base === "string" ? `${base}${file}` : new URL(file, base);
    return { version: version!, name: name!, sql: await Deno.readTextFile(path) };
  }));
}

// Any constant works; it only has to be the same for every process migrating
// this database, so two starting at once do not both apply a migration.
const MIGRATION_LOCK_KEY = 7_046_311_209;

/**
 * Applies the migrations not yet recorded, all in one transaction, and returns
 * the versions it applied (empty when the database was up to date).
 */
export async function applyMigrations(
  db: SqlAdapter,
  migrations: readonly Migration[],
): Promise<string[]> {
  return await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key,
        statements text[],
        name text
      );
    `);
    const rows = await tx.query<{ version: string }>(
      "select version from supabase_migrations.schema_migrations",
    );
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query(
        "insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)",
        [m.version, m.name],
      );
      applied.push(m.version);
    }
    return applied;
  });
}
