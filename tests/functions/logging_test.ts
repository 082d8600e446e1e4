import assert from "node:assert/strict";
import { captureLogs } from "../support/log_capture.ts";
import { createCoreHandler } from "../../supabase/functions/wa-webhook-core/index.ts";
import { signWebhook, terminate } from "../../simulator/meta_webhooks.ts";
import { signMetaBody } from "../../lib/whatsapp/signature.ts";
import {
  newCallId,
  nowSec,
  offerFor,
  terminateFor,
  TEST_ENV,
  USERNAME_CALLER,
  usernameOfferFor,
  voiceCallsRig,
} from "./harness.ts";

const SECRETS = [...Object.values(TEST_ENV), "16315553602", "16315553601"];

Deno.test("logs: stable event names, the call id on every call line, no secrets or full numbers", async () => {
  const logs = await captureLogs("functions");
  const { records } = logs;
  const rig = await voiceCallsRig();
  try {
    const ok = newCallId();
    await rig.send(offerFor(ok));
    await rig.send(offerFor(ok));
    const start = nowSec();
    await rig.send(terminateFor(ok, { startTime: start, endTime: start + 3, duration: 3 }));
    rig.bridge.createFault = { kind: "status", status: 503, body: { error: "at capacity" } };
    const rejected = newCallId();
    await rig.send(offerFor(rejected));
    rig.bridge.createFault = undefined;
    rig.graph.failNext("accept", { status: 500, times: 5 });
    const failed = newCallId();
    await rig.send(offerFor(failed));

    const core = createCoreHandler({
      env: { ...TEST_ENV, SUPABASE_URL: "http://supabase.invalid" },
      store: () => Promise.resolve(rig.store),
      invokeVoiceCalls: () => Promise.resolve(),
    });
    const w = await signWebhook(offerFor(newCallId()), TEST_ENV.WHATSAPP_APP_SECRET);
    await (await core(
      new Request("http://x/", { method: "POST", headers: w.headers, body: w.body }),
    )).text();
    const forged = await signMetaBody(w.body, "not-the-secret");
    await (await core(
      new Request("http://x/", {
        method: "POST",
        headers: { "x-hub-signature-256": forged },
        body: w.body,
      }),
    ))
      .text();
    await core.settled();

    const events = new Set(records.map((r) => r.rawMessage));
    for (
      const name of [
        "WA_WEBHOOK_RECEIVED",
        "WA_WEBHOOK_SIGNATURE_INVALID",
        "WA_CALL_CONNECT",
        "WA_CALL_PRE_ACCEPTED",
        "WA_CALL_ACCEPTED",
        "WA_CALL_REJECTED",
        "WA_CALL_TERMINATE",
        "WA_CALL_DUPLICATE",
        "WA_CALL_FAILED",
      ]
    ) assert.ok(events.has(name), `no ${name} line`);
    for (const r of records) {
      if (typeof r.rawMessage === "string" && r.rawMessage.startsWith("WA_CALL_")) {
        assert.match(String(r.properties.callId), /^wacid\./, `${r.rawMessage} without callId`);
      }
      const text = JSON.stringify(r.properties);
      for (const secret of SECRETS) {
        assert.ok(!text.includes(secret), `${r.rawMessage} leaks ${secret}`);
      }
    }
    const connect = records.find((r) => r.rawMessage === "WA_CALL_CONNECT");
    assert.equal(connect?.properties.from, "1631•••3602");
  } finally {
    await rig.close();
    await logs.stop();
  }
});

Deno.test("logs: a username caller's user id is masked like a number, never logged in full", async () => {
  const logs = await captureLogs("functions");
  const rig = await voiceCallsRig();
  try {
    const callId = newCallId();
    await rig.send(usernameOfferFor(callId));
    await rig.send(
      terminate({ callId, ...USERNAME_CALLER, timestamp: nowSec(), status: "COMPLETED" }),
    );
    assert.ok(logs.records.length > 0);
    for (const r of logs.records) {
      const text = JSON.stringify(r.properties);
      assert.ok(!text.includes(USERNAME_CALLER.userId), `${r.rawMessage} leaks the user id`);
    }
    const connect = logs.records.find((r) =>
      r.rawMessage === "WA_CALL_CONNECT" && r.properties.callId === callId
    );
    assert.equal(connect?.properties.fromUserId, "BR.15•••43");
    assert.equal(connect?.properties.from, undefined);
  } finally {
    await rig.close();
    await logs.stop();
  }
});
