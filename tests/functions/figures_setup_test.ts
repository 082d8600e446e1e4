/**
 * The set-up figure the Edge Function knows: connect webhook received →
 * Graph `accept` sent, recorded on the `accepted` call event.
 */
import assert from "node:assert/strict";
import { newCallId, voiceCallsRig, webhookFixture as fixture } from "./harness.ts";

Deno.test("set-up figures: webhook → accept is measured when the accept is sent, and recorded", async () => {
  const callId = newCallId();
  const payload = await fixture("connect.json", callId);
  const base = 1671644824_000;
  let sentActions: () => readonly (string | undefined)[] = () => [];
  // The clock reads 0 ms until pre_accept went out, 250 ms until accept went out, then 9 s:
  // a figure taken after the accept (its reply, the store write) would read 9000.
  const now = () => {
    const actions = sentActions();
    return base + (actions.includes("accept") ? 9000 : actions.includes("pre_accept") ? 250 : 0);
  };
  const rig = await voiceCallsRig({ now });
  sentActions = () => rig.graph.actionsFor(callId);
  try {
    const [result] = await rig.send(payload);
    assert.equal(result?.outcome, "accepted");
    const accepted = (await rig.store.listEvents(callId)).find((e) => e.name === "accepted");
    const data = accepted?.data as { webhookToAcceptMs?: number; sessionId?: string };
    assert.equal(data.webhookToAcceptMs, 250);
    assert.equal(typeof data.sessionId, "string");
  } finally {
    await rig.close();
  }
});
