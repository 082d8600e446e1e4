/**
 * Test helpers of the store: one check run on both backends, in-memory
 * PGlite and a real PostgreSQL (skipped visibly where there is none), so the
 * two cannot drift apart unseen.
 *
 * @module
 */
import { openStore } from "./open.ts";
import type { Store } from "./store.ts";
import { postgresAvailable, withTestDatabase } from "../tests/support/postgres.ts";

/** Runs `check` on a migrated store of `config`, closed afterwards. */
async function onStore(
  config: Parameters<typeof openStore>[0],
  check: (store: Store) => Promise<void>,
): Promise<void> {
  const store = await openStore(config);
  try {
    await check(store);
  } finally {
    await store.close();
  }
}

/**
 * Registers `check` as two tests, `<subject> [pglite]: <what>` on in-memory
 * PGlite and `<subject> [postgres]: <what>` on a fresh database of a real
 * server, each on a migrated store of its own.
 */
export function testOnBothBackends(
  subject: string,
  what: string,
  check: (store: Store) => Promise<void>,
): void {
  Deno.test(`${subject} [pglite]: ${what}`, () => onStore({ pgliteDir: "memory://" }, check));
  const missing = postgresAvailable() ? "" : " (ignored: no PostgreSQL or DATABASE_URL)";
  Deno.test({
    name: `${subject} [postgres]: ${what}${missing}`,
    ignore: missing !== "",
    fn: () => withTestDatabase((db) => onStore({ url: db.url, migrate: true }, check)),
  });
}
