/**
 * Accepting a call the way Meta documents it, against the stack as a real
 * process and a fake caller over real ICE and DTLS: Meta's `accept` only once
 * the media connection is up, our first packet only after it, and a caller
 * whose media never connects rejected within the bound instead of being
 * accepted into silence.
 */
import assert from "node:assert/strict";
import { connectOffer, postWebhook, signWebhook } from "../../simulator/meta_webhooks.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { E2E_APP_SECRET, startStack } from "./stack.ts";

Deno.test("e2e: Meta's accept follows ICE+DTLS, and our media follows the accept", async () => {
  const stack = await startStack();
  try {
    const acceptedAt: Record<string, number> = {};
    stack.graph.onRequest((r) => {
      if (r.action === "accept" && r.callId) acceptedAt[r.callId] ??= performance.now();
    });
    const result = await stack.call({ speakAfterMs: 0, listenMs: 300 });
    assert.equal(result.outcome, "completed");
    const { connectedAt, firstPacketAt } = result.caller;
    const accept = acceptedAt[result.callId];
    assert.ok(connectedAt !== undefined && accept !== undefined && firstPacketAt !== undefined);
    assert.ok(accept >= connectedAt, `accept ${accept - connectedAt} ms after ICE+DTLS`);
    assert.ok(firstPacketAt >= accept, "no media before accept");
    assert.deepEqual(stack.graph.actionsFor(result.callId), ["pre_accept", "accept"]);
  } finally {
    await stack.close();
  }
});

Deno.test("e2e: a caller whose media never connects is rejected within the bound", async () => {
  const waitMs = 1500;
  const stack = await startStack({ env: { WA_MEDIA_CONNECT_WAIT_MS: String(waitMs) } });
  // The caller never applies our answer, so ICE never completes.
  const caller = await WhatsAppCaller.create({});
  try {
    const callId = "wacid.e2eNOMEDIA0000000001";
    const webhook = await signWebhook(
      connectOffer({
        callId,
        user: "16315553602",
        timestamp: Math.floor(Date.now() / 1000),
        sdp: caller.offerSdp,
      }),
      E2E_APP_SECRET,
    );
    let rejectedAt = NaN;
    stack.graph.onRequest((r) => {
      if (r.callId === callId && r.action === "reject") rejectedAt = performance.now();
    });
    const sentAt = performance.now();
    const delivery = await postWebhook(stack.webhookUrl, webhook, { observer: stack.graph });
    assert.equal(delivery.status, 200);
    await stack.graph.waitFor("reject", callId, waitMs + 5000);
    const rejectMs = rejectedAt - sentAt;
    assert.ok(rejectMs >= waitMs, `rejected ${rejectMs.toFixed(0)} ms in, before the bound`);
    assert.ok(rejectMs < waitMs + 3000, `rejected ${rejectMs.toFixed(0)} ms in`);
    assert.deepEqual(stack.graph.actionsFor(callId), ["pre_accept", "reject"]);

    const records = await stack.records(
      callId,
      // The function records its verdict after the reject and the session's end: wait for both.
      (r) =>
        r.events.some((e) => e.name === "bridge_session_ended") &&
        r.call?.status !== "pre_accepted",
    );
    assert.equal(records.call?.status, "failed");
    assert.equal(records.call?.endReason, "media_not_connected");
    const ended = records.events.find((e) => e.name === "bridge_session_ended");
    assert.equal((ended?.data as { reason?: string }).reason, "media_not_connected");
    assert.ok(!records.events.some((e) => e.name === "bridge_accept"), "never accepted");
  } finally {
    await caller.close();
    await stack.close();
  }
});
