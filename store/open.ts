/**
 * Opening a {@linkcode Store}: over a PostgreSQL server (`DATABASE_URL`, else
 * Supabase's `SUPABASE_DB_URL`) or, without one, over embedded PGlite with the
 * same migrations. Shared by the Edge Functions, the bridge and the CLI.
 *
 * @module
 */
import { createStore, type Store } from "./store.ts";
import { applyMigrations, loadMigrations } from "./migrate.ts";

/** Where the store keeps its data; see {@linkcode openStore}. */
export interface StoreConfig {
  /** A `postgres://` connection string. Absent: embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory, or `memory://`; default `.data/pglite`. */
  pgliteDir?: string | undefined;
  /**
   * Apply pending `supabase/migrations` at open. Default: true for PGlite,
   * false for a server (Supabase applies them there).
   */
  migrate?: boolean | undefined;
  /** Where the migrations are; default this repository's `supabase/migrations/`. */
  migrationsDir?: string | URL | undefined;
  /** Server connection pool size; default 5. */
  maxConnections?: number | undefined;
}

/** PGlite's directory when the config names none. */
export const DEFAULT_PGLITE_DIR = ".data/pglite";

/** Opens the store the config describes, migrating first when asked to. */
export async function openStore(config: StoreConfig = {}): Promise<Store> {
  const backend = config.url === undefined ? "pglite" : "postgres";
  // Imported on demand: a deployment with a server never loads PGlite's wasm.
  const db = config.url === undefined
    ? await (await import("./pglite.ts")).openPgliteAdapter(
      config.pgliteDir ?? DEFAULT_PGLITE_DIR,
    )
    : (await import("./postgres.ts")).openPostgresAdapter(config.url, {
      maxConnections: config.maxConnections,
    });
  try {
    if (config.migrate ?? backend === "pglite") {
      await applyMigrations(db, await loadMigrations(config.migrationsDir));
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return createStore(db, backend);
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new RangeError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Reads the config from environment variables through `get` (e.g.
 * `(n) => Deno.env.get(n)`): `DATABASE_URL`, else `SUPABASE_DB_URL`;
 * `STORE_PGLITE_DIR`; `STORE_MIGRATE` (true/false). Empty values count as unset.
 */
export function storeConfigFromEnv(get: (name: string) => string | undefined): StoreConfig {
  const read = (name: string) => {
    const value = get(name);
    return value === "" ? undefined : value;
  };
  return {
    url: read("DATABASE_URL") ?? read("SUPABASE_DB_URL"),
    pgliteDir: read("STORE_PGLITE_DIR"),
    migrate: flag("STORE_MIGRATE", read("STORE_MIGRATE")),
  };
}

/**
 * The store the environment names, opened on first use and shared by later
 * calls; a failed open is retried on the next call instead of being cached.
 */
export function storeOpener(get: (name: string) => string | undefined): () => Promise<Store> {
  let opening: Promise<Store> | undefined;
  return () => {
    opening ??= openStore(storeConfigFromEnv(get)).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
}
