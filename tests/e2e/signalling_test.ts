/**
 * Meta's signalling misbehaving against the stack as a real process:
 * redelivered webhooks and a bridge with no room for another call.
 */
import assert from "node:assert/strict";
import { postWebhook } from "../../simulator/meta_webhooks.ts";
import { startStack } from "./stack.ts";

Deno.test("e2e: duplicate and late connect webhooks answer the call once", async () => {
  const stack = await startStack();
  try {
    const redeliver = (i: number) =>
      postWebhook(stack.webhookUrl, stack.graph.webhooks[i]!.webhook).then((d) => d.status);
    let midCall: Promise<number> | undefined;
    // Two concurrent deliveries, then the same bytes again while the call is up.
    const result = await stack.call({
      deliveries: 2,
      speakAfterMs: 0,
      listenMs: 500,
      onStep: (step) => {
        if (step === "firstAgentAudio") midCall = redeliver(0);
      },
    });
    assert.equal(result.outcome, "completed");
    assert.equal(await midCall, 200);
    // And after the call ended: the connect and the terminate once more.
    const terminate = stack.graph.webhooks.findIndex((w) => w.webhook.body.includes('"terminate"'));
    assert.ok(terminate > 0);
    assert.deepEqual(await Promise.all([redeliver(0), redeliver(terminate)]), [200, 200]);
    // Stopping waits for the functions' background work: every delivery has been
    // handled. A clean exit also proves the SIGTERM drain.
    assert.equal((await stack.stop()).code, 0);

    const actions = stack.graph.actionsFor(result.callId);
    assert.deepEqual(actions, ["pre_accept", "accept"]);
    const records = await stack.records(result.callId);
    const count = (name: string) => records.events.filter((e) => e.name === name).length;
    assert.deepEqual(
      ["connect", "bridge_session_started", "accepted", "terminate", "bridge_session_ended"].map(
        count,
      ),
      [1, 1, 1, 1, 1],
    );
    assert.equal(records.call?.status, "completed");
  } finally {
    await stack.close();
  }
});

Deno.test("e2e: a bridge at capacity gets the call rejected at once and says why", async () => {
  const stack = await startStack({ env: { MAX_SESSIONS: "1" } });
  try {
    const held = "wacid.e2eHELD00000000000001";
    const refused = "wacid.e2eREFUSED000000000001";
    let rejectedAt = NaN;
    stack.graph.onRequest((r) => {
      if (r.callId === refused && r.action === "reject") rejectedAt = performance.now();
    });
    const first = stack.call({ callId: held, speakAfterMs: 0, listenMs: 3000 });
    await stack.graph.waitFor("accept", held, 20_000);
    const second = await stack.call({ callId: refused });
    assert.equal(second.outcome, "rejected");
    const sentAt = stack.graph.webhooks.find((w) => w.webhook.body.includes(refused))!.at;
    const rejectMs = rejectedAt - sentAt;
    assert.ok(rejectMs <= 2000, `reject ${rejectMs.toFixed(0)} ms after the webhook`);
    assert.equal((await first).outcome, "completed", "the call in progress is unaffected");

    const records = await stack.records(
      refused,
      (r) => r.events.some((e) => e.name === "rejected"),
    );
    assert.equal(records.call?.status, "rejected");
    assert.equal(records.call?.endReason, "bridge_capacity");
    const rejected = records.events.find((e) => e.name === "rejected");
    assert.equal((rejected?.data as { reason?: string }).reason, "bridge_capacity");
    assert.ok(!records.events.some((e) => e.name === "bridge_session_started"));
    assert.match(stack.output(), /VOICE_BRIDGE_AT_CAPACITY/);
    const actions = stack.graph.actionsFor(refused);
    assert.deepEqual(actions, ["reject"]);
  } finally {
    await stack.close();
  }
});
