/** A business-initiated call's purpose reaches OpenAI: its instructions and its first words. */
import assert from "node:assert/strict";
import { harness, type Json } from "./_openai_harness.ts";

Deno.test("openai agent: a call's own instructions and greeting replace the configured ones", async () => {
  const h = harness({ responses: [{ kind: "audio", transcript: "Hello Ana.", durationMs: 200 }] });
  h.ctx.instructions = "You call Ana to confirm the appointment at 10:30.";
  h.ctx.greeting = "Hello Ana, this is Acme about 10:30.";
  await h.agent.start(h.ctx);
  const [update] = h.fake.receivedOf("session.update");
  const session = (update as Json).session as Json;
  assert.equal(session.instructions, "You call Ana to confirm the appointment at 10:30.");
  h.agent.callAccepted();
  const create = await h.fake.waitForEvent("response.create");
  const instructions = String((create.response as Json).instructions);
  assert.match(instructions, /^You call Ana to confirm the appointment at 10:30\.\n\n/);
  assert.match(instructions, /exactly these words.*"Hello Ana, this is Acme about 10:30\."/);
  await h.done();
});
