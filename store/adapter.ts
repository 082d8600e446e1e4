/**
 * The narrow SQL surface the store needs, so its queries are written once as
 * `$1..$n` parameterized text and run unchanged on postgres.js and PGlite.
 *
 * @module
 */

/** A SQL parameter. Dates and JSON are passed as text and cast in the query. */
export type SqlParam = string | number | boolean | null;

/** Runs SQL on one connection or transaction. */
export interface SqlExecutor {
  /** Runs one parameterized statement and returns its rows. */
  query<T>(text: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** A database handle: executor plus transactions and shutdown. */
export interface SqlAdapter extends SqlExecutor {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R>;
  /** Releases the connections or the embedded database. */
  close(): Promise<void>;
  /**
   * `LISTEN channel`: `onPayload` gets each notification's payload until the
   * returned function unlistens. Optional: an adapter without it has no live updates.
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
}
