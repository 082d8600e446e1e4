/**
 * {@linkcode SqlAdapter} over an embedded PGlite database, for running
 * without a PostgreSQL server (local development, the bridge on one box).
 *
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { SqlAdapter, SqlExecutor, SqlParam } from "./adapter.ts";

function executor(db: PGlite | Transaction): SqlExecutor {
  return {
    async query<T>(text: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const result = await db.query<T>(text, [...params]);
      return result.rows;
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
  };
}

/** Wraps an open PGlite instance; closing the adapter closes it. */
export function pgliteAdapter(db: PGlite): SqlAdapter {
  return {
    ...executor(db),
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      return await db.transaction((tx) => fn(executor(tx)));
    },
    async close(): Promise<void> {
      await db.close();
    },
    // One embedded backend: a NOTIFY from this process reaches its own LISTEN.
    async listen(channel: string, onPayload: (payload: string) => void) {
      const unlisten = await db.listen(channel, onPayload);
      return () => unlisten();
    },
  };
}

/**
 * Opens (creating if needed) a PGlite database in `dataDir`, a directory
 * path or `memory://` for a throwaway in-memory one.
 */
export async function openPgliteAdapter(dataDir: string): Promise<SqlAdapter> {
  if (!dataDir.startsWith("memory://")) await Deno.mkdir(dataDir, { recursive: true });
  return pgliteAdapter(await PGlite.create(dataDir));
}
