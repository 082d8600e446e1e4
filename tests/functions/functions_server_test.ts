import assert from "node:assert/strict";
import { DEFAULT_FUNCTIONS_PORT, functionsPort } from "../../cli/functions.ts";
import {
  functionsServerRig,
  newCallId,
  nowSec,
  offerFor,
  sharedStore,
  terminateFor,
  TEST_ENV,
} from "./harness.ts";

Deno.test("core → voice-calls through supabase-js functions.invoke on the local server", async () => {
  const rig = await functionsServerRig(await sharedStore());
  let closed = false;
  try {
    const callId = newCallId();
    const delivery = await rig.deliver(offerFor(callId));
    assert.equal(delivery.status, 200);
    await rig.graph.waitFor("accept", callId);

    const start = nowSec();
    await rig.deliver(terminateFor(callId, { startTime: start, endTime: start + 7, duration: 7 }));
    // close() waits for the core's background routing to finish.
    await rig.close();
    closed = true;
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "completed");
    assert.equal(call?.durationSeconds, 7);
    assert.deepEqual(rig.graph.requests.map((r) => r.action), ["pre_accept", "accept"]);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
  } finally {
    if (!closed) await rig.close();
  }
});

Deno.test("functions server: voice-calls refuses callers without the key; unknown names 404", async () => {
  const rig = await functionsServerRig(await sharedStore());
  try {
    const res = await fetch(`${rig.functions.url}/functions/v1/wa-webhook-voice-calls`, {
      method: "POST",
      headers: { authorization: "Bearer anon-key" },
      body: JSON.stringify(offerFor(newCallId())),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const missing = await fetch(`${rig.functions.url}/functions/v1/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const verify = await fetch(
      `${rig.core}?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=${TEST_ENV.WHATSAPP_VERIFY_TOKEN}`,
    );
    assert.equal(await verify.text(), "abc");
    assert.equal(rig.graph.requests.length, 0);
  } finally {
    await rig.close();
  }
});

Deno.test("functions server: without SUPABASE_SERVICE_ROLE_KEY a signed webhook still routes", async () => {
  // `supabase functions serve` supplies the key; a newcomer's first call must not be a 500.
  const rig = await functionsServerRig(await sharedStore(), {
    SUPABASE_SERVICE_ROLE_KEY: undefined,
  });
  try {
    const callId = newCallId();
    const delivery = await rig.deliver(offerFor(callId));
    assert.equal(delivery.status, 200);
    await rig.graph.waitFor("accept", callId);
  } finally {
    await rig.close();
  }
});

Deno.test("functions server: FUNCTIONS_PORT defaults to 54321 and is validated by name", () => {
  assert.equal(functionsPort({}), DEFAULT_FUNCTIONS_PORT);
  assert.equal(functionsPort({ FUNCTIONS_PORT: " " }), DEFAULT_FUNCTIONS_PORT);
  assert.equal(functionsPort({ FUNCTIONS_PORT: "8080" }), 8080);
  for (const bad of ["70000", "http", "-1"]) {
    assert.throws(() => functionsPort({ FUNCTIONS_PORT: bad }), /^RangeError: FUNCTIONS_PORT/);
  }
});
