import assert from "node:assert/strict";
import { startLive } from "./start_live.ts";
import { FakeLiveSession } from "./_test_utils.ts";
import { OPERATOR_ENDED } from "./live_commands.ts";
import { LIVE_COMMAND_CHANNEL } from "../../store/live.ts";
import type { Store } from "../../store/store.ts";
import { openStore } from "../../store/open.ts";
import { postgresAvailable, withTestDatabase } from "../../tests/support/postgres.ts";

async function waitFor(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Two bridges, each holding one call, over `a` and `b` (stores of one
 * database); the console sends through `console`.
 */
async function commandReachesOwnerOnly(console: Store, a: Store, b: Store): Promise<void> {
  await console.upsertCall({ callId: "wacid.on-b", status: "active" });
  const onA = new FakeLiveSession("wacid.on-a");
  const onB = new FakeLiveSession("wacid.on-b");
  const bridgeA = startLive({ bus: a, sessions: () => [onA], agent: "echo", recorder: a });
  const bridgeB = startLive({ bus: b, sessions: () => [onB], agent: "echo", recorder: b });
  try {
    await Promise.all([bridgeA.ready, bridgeB.ready]);
    // Garbage and a call no bridge holds are ignored by both.
    await console.notify(LIVE_COMMAND_CHANNEL, "not json");
    await console.notify(
      LIVE_COMMAND_CHANNEL,
      JSON.stringify({ action: "end", callId: "wacid.elsewhere", actor: "user-1" }),
    );
    await console.notify(
      LIVE_COMMAND_CHANNEL,
      JSON.stringify({ action: "end", callId: "wacid.on-b", actor: "user-7" }),
    );
    await waitFor("bridge B to end its call", () => onB.ends.length > 0);
    await waitFor(
      "the operator_ended event",
      async () => (await console.listEvents("wacid.on-b")).some((e) => e.name === OPERATOR_ENDED),
    );
    // A second command for the same call, still in the bridge's list, does nothing more.
    await console.notify(
      LIVE_COMMAND_CHANNEL,
      JSON.stringify({ action: "end", callId: "wacid.on-b", actor: "user-7" }),
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(onB.ends, [{ reason: OPERATOR_ENDED, notifyMeta: true }]);
    assert.deepEqual(onA.ends, [], "bridge A does not hold the call");
    const events = await console.listEvents("wacid.on-b");
    assert.deepEqual(
      events.filter((e) => e.name === OPERATOR_ENDED).map((e) => e.data),
      [{ actor: "user-7" }],
    );
  } finally {
    await bridgeA.stop();
    await bridgeB.stop();
  }
}

Deno.test("live commands [pglite]: an end command reaches only the bridge holding the call", async () => {
  // One embedded database serves one process: both bridges and the console share it.
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await commandReachesOwnerOnly(store, store, store);
  } finally {
    await store.close();
  }
});

Deno.test({
  name: "live commands [postgres]: an end command reaches only the bridge holding the call" +
    (postgresAvailable() ? "" : " (ignored: no PostgreSQL)"),
  ignore: !postgresAvailable(),
  fn: () =>
    withTestDatabase(async (db) => {
      const console = await openStore({ url: db.url, migrate: true, maxConnections: 2 });
      const a = await openStore({ url: db.url, maxConnections: 2 });
      const b = await openStore({ url: db.url, maxConnections: 2 });
      try {
        await commandReachesOwnerOnly(console, a, b);
      } finally {
        await Promise.all([console.close(), a.close(), b.close()]);
      }
    }),
});
