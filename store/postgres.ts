/**
 * {@linkcode SqlAdapter} over a PostgreSQL server with postgres.js.
 *
 * @module
 */
import postgres from "postgres";
import type { SqlAdapter, SqlExecutor, SqlParam } from "./adapter.ts";

/** Options for {@linkcode openPostgresAdapter}. */
export interface PostgresAdapterOptions {
  /** Pool size; default 5 (Edge Functions are short-lived and numerous). */
  maxConnections?: number | undefined;
}

type Sql = postgres.Sql | postgres.TransactionSql;

function executor(sql: Sql): SqlExecutor {
  return {
    async query<T>(text: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, [...params]);
      return [...rows] as T[];
    },
    async exec(script: string): Promise<void> {
      // Without parameters postgres.js uses the simple protocol, which accepts
      // several statements in one string.
      await sql.unsafe(script);
    },
  };
}

/** Connects lazily to `url` (a `postgres://` connection string). */
export function openPostgresAdapter(
  url: string,
  options: PostgresAdapterOptions = {},
): SqlAdapter {
  const sql = postgres(url, {
    max: options.maxConnections ?? 5,
    // Supabase's transaction pooler (port 6543) cannot keep prepared statements.
    prepare: false,
    onnotice: () => {},
  });
  return {
    ...executor(sql),
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      return await sql.begin((tx) => fn(executor(tx))) as R;
    },
    async close(): Promise<void> {
      await sql.end({ timeout: 5 });
    },
    // postgres.js keeps one extra connection for every LISTEN of this pool and
    // re-issues them after a reconnect.
    async listen(channel: string, onPayload: (payload: string) => void) {
      const { unlisten } = await sql.listen(channel, onPayload);
      return unlisten;
    },
  };
}
