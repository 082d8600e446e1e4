/**
 * A signed webhook whose profile name and offer hold a lone UTF-16 surrogate
 * (JSON allows `\ud800`; PostgreSQL's jsonb and UTF-8 text do not) is handled
 * and recorded like any other, on PGlite and on a real PostgreSQL server.
 */
import assert from "node:assert/strict";
import { connectOffer } from "../../simulator/meta_webhooks.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { postgresAvailable, startPostgres } from "../support/postgres.ts";
import { functionsServerRig, newCallId, nowSec, OFFER_SDP } from "./harness.ts";

async function assertHandledAndRecorded(store: Store): Promise<void> {
  const rig = await functionsServerRig(store);
  try {
    const callId = newCallId();
    const offer = connectOffer({
      callId,
      user: "16315553602",
      callerName: "Ana\ud800",
      timestamp: nowSec(),
      // The offer is stored as JSON with the event; its session name is free text.
      sdp: OFFER_SDP.replace("\r\ns=-\r\n", "\r\ns=Ana\ud800\r\n"),
    });
    const delivery = await rig.deliver(offer);
    assert.match(delivery.webhook.body, /Ana\\ud800/, "the body carries the escape, as Meta's may");
    assert.equal(delivery.status, 200);
    await rig.graph.waitFor("accept", callId);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
    // Meta's accept returns before the function records it.
    let call = await store.getCall(callId);
    for (let i = 0; i < 100 && call?.status !== "accepted"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      call = await store.getCall(callId);
    }
    assert.equal(call?.status, "accepted");
    assert.equal(call?.profileName, "Ana\ufffd");
    const events = await store.listEvents(callId);
    const connect = events.find((e) => e.name === "connect");
    assert.match(String((connect?.data as { sdp?: unknown })?.sdp), /\r\ns=Ana\ufffd\r\n/);
  } finally {
    await rig.close();
  }
}

Deno.test("a signed connect with a lone surrogate in the caller's name and offer is answered and recorded [pglite]", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await assertHandledAndRecorded(store);
  } finally {
    await store.close();
  }
});

Deno.test({
  name:
    "a signed connect with a lone surrogate in the caller's name and offer is answered and recorded [postgres]",
  ignore: !postgresAvailable(),
  async fn() {
    const server = (await startPostgres())!;
    const db = await server.createDatabase();
    const store = await openStore({ url: db.url, migrate: true });
    try {
      await assertHandledAndRecorded(store);
    } finally {
      await store.close();
      await db.drop();
      await server.stop();
    }
  },
});
