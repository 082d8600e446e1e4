/**
 * A caller who has adopted a WhatsApp username and whose number Meta hides:
 * the whole stack answers them, keyed on the call id, and records them by
 * their business-scoped user id with the button they called from.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { startStack } from "./stack.ts";

Deno.test("e2e: a username caller without a number is answered, heard and recorded", async () => {
  const stack = await startStack();
  try {
    const result = await stack.call({
      userId: "BR.1502576394655843",
      username: "pablo.m",
      callerName: "Pablo Morales",
      ctaPayload: "support-button",
      speech: sine(440, 24000, 12000, 8000),
      speakAfterMs: 500,
      listenMs: 1000,
    });
    assert.equal(result.outcome, "completed");
    assert.ok(result.timeline.firstAgentAudio !== undefined, "the caller heard the agent");
    const records = await stack.records(
      result.callId,
      (r) =>
        r.call?.status === "completed" && r.events.some((e) => e.name === "bridge_session_ended"),
    );
    assert.equal(records.call?.status, "completed");
    assert.equal(records.call?.fromNumber, null);
    assert.equal(records.call?.fromUserId, "BR.1502576394655843");
    assert.equal(records.call?.username, "pablo.m");
    assert.equal(records.call?.ctaPayload, "support-button");
  } finally {
    await stack.close();
  }
});
