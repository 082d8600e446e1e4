import assert from "node:assert/strict";
import {
  type CallEventItem,
  callEventKey,
  extractCallEvents,
  extractCallPermissionReplies,
  parseWebhook,
  type WebhookEnvelope,
} from "./webhook.ts";

const FIXTURES = new URL("../../tests/fixtures/webhooks/", import.meta.url);

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, FIXTURES)));
}

function parsed(json: unknown): WebhookEnvelope {
  const r = parseWebhook(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function only(items: CallEventItem[]): CallEventItem {
  assert.equal(items.length, 1);
  return items[0]!;
}

/** Deep-clones a fixture and lets the test mutate its first call/status/message. */
async function mutated(
  name: string,
  edit: (value: Record<string, unknown>) => void,
): Promise<unknown> {
  const json = structuredClone(await fixture(name)) as {
    entry: { changes: { value: Record<string, unknown> }[] }[];
  };
  edit(json.entry[0]!.changes[0]!.value);
  return json;
}

Deno.test("user-initiated connect yields a connect_offer with Meta's SDP and caller", async () => {
  const item = only(extractCallEvents(parsed(await fixture("connect"))));
  assert.equal(item.kind, "connect_offer");
  if (item.kind !== "connect_offer") return;
  assert.equal(item.callId, "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh");
  assert.equal(item.phoneNumberId, "106540352242922");
  assert.equal(item.displayPhoneNumber, "16315553601");
  assert.equal(item.wabaId, "102290129340398");
  assert.equal(item.from, "16315553602");
  assert.equal(item.to, "16315553601");
  assert.equal(item.timestamp, 1671644824000);
  assert.equal(item.callerName, "Pablo Morales");
  assert.ok(item.sdp.startsWith("v=0\r\n"));
  assert.match(item.sdp, /a=fingerprint:sha-256 1B:B6/);
  assert.equal(item.deeplinkPayload, undefined);
});

Deno.test("2026 fields are kept and the legacy connection.webrtc.sdp is ignored", async () => {
  const env = parsed(await fixture("connect_bsuid"));
  const item = only(extractCallEvents(env));
  assert.equal(item.kind, "connect_offer");
  if (item.kind !== "connect_offer") return;
  assert.equal(item.fromUserId, "US.13491208655302741918");
  assert.equal(item.deeplinkPayload, "order-42");
  assert.equal(item.ctaPayload, "support");
  assert.ok(item.sdp.startsWith("v=0\r\n"), "session.sdp, not the JSON-in-JSON legacy copy");
  const change = env.entry[0]!.changes[0]!;
  const contact = (change.value as { contacts: { username?: string }[] }).contacts[0]!;
  assert.equal(contact.username, "pablo.m");
});

Deno.test("terminate yields status, times in ms and duration", async () => {
  const item = only(extractCallEvents(parsed(await fixture("terminate"))));
  assert.deepEqual(item, {
    kind: "terminate",
    callId: "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh",
    wabaId: "102290129340398",
    phoneNumberId: "106540352242922",
    displayPhoneNumber: "16315553601",
    from: "16315553602",
    to: "16315553601",
    timestamp: 1671644944000,
    bizOpaqueCallbackData: "random_string",
    status: "COMPLETED",
    metaStatus: "COMPLETED",
    startTime: 1671644824000,
    endTime: 1671644944000,
    durationSec: 120,
    errors: [],
  });
});

Deno.test("failed terminate normalises 'Failed' and carries errors[] 138021", async () => {
  const item = only(extractCallEvents(parsed(await fixture("terminate_failed"))));
  assert.equal(item.kind, "terminate");
  if (item.kind !== "terminate") return;
  assert.equal(item.status, "FAILED");
  assert.equal(item.startTime, undefined);
  assert.deepEqual(item.errors, [{
    code: 138021,
    message: "Media receive timeout",
    details: "The call was dropped because no media was received from the business",
  }]);
});

Deno.test("terminate status is parsed case-insensitively", async () => {
  for (const [raw, want] of [["completed", "COMPLETED"], ["Rejected", "REJECTED"]] as const) {
    const json = await mutated("terminate", (v) => {
      (v.calls as Record<string, unknown>[])[0]!.status = raw;
    });
    const item = only(extractCallEvents(parsed(json)));
    assert.equal(item.kind === "terminate" && item.status, want);
  }
});

Deno.test("a username caller without a number: connect keyed on the call id, user id and profile kept", async () => {
  const item = only(extractCallEvents(parsed(await fixture("connect_username"))));
  assert.equal(item.kind, "connect_offer");
  if (item.kind !== "connect_offer") return;
  assert.equal(item.callId, "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh");
  assert.equal("from" in item, false, "no number invented");
  assert.equal(item.to, "16315553601");
  assert.equal(item.fromUserId, "BR.1502576394655843");
  assert.equal(item.callerName, "Pablo Morales");
  assert.equal(item.callerUsername, "pablo.m");
  assert.equal(item.ctaPayload, "support-button");
  assert.equal(item.deeplinkPayload, "order-42");
  assert.equal(callEventKey(item), "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh:connect_offer");
});

Deno.test("a connect naming the caller by neither number nor user id is still a call", async () => {
  const json = await mutated("connect_username", (v) => {
    delete v.contacts;
    const call = (v.calls as Record<string, unknown>[])[0]!;
    delete call.from_user_id;
    delete call.to;
  });
  const item = only(extractCallEvents(parsed(json)));
  assert.equal(item.kind, "connect_offer");
  if (item.kind !== "connect_offer") return;
  assert.equal(item.fromUserId, undefined);
  assert.equal(item.to, "16315553601", "the business number comes from metadata");
});

Deno.test("the caller's user id and username come from contacts when the call omits them", async () => {
  const json = await mutated("connect_username", (v) => {
    delete (v.calls as Record<string, unknown>[])[0]!.from_user_id;
    v.contacts = [{
      profile: { name: "Pablo" },
      username: "pablo.m",
      user_id: "BR.1502576394655843",
    }];
  });
  const item = only(extractCallEvents(parsed(json)));
  assert.equal(item.kind === "connect_offer" && item.fromUserId, "BR.1502576394655843");
  assert.equal(item.kind === "connect_offer" && item.callerUsername, "pablo.m");
});

Deno.test("username terminate, business-initiated connect and status parse without numbers", async () => {
  const ended = only(extractCallEvents(parsed(await fixture("terminate_username"))));
  assert.equal(ended.kind, "terminate");
  if (ended.kind !== "terminate") return;
  assert.equal("from" in ended, false);
  assert.equal(ended.fromUserId, "BR.1502576394655843");
  assert.equal(ended.status, "COMPLETED");
  const answer = only(extractCallEvents(parsed(await fixture("business_connect_username"))));
  assert.equal(answer.kind, "connect_answer");
  if (answer.kind !== "connect_answer") return;
  assert.equal("to" in answer, false);
  assert.equal(answer.toUserId, "US.13491208655302741918");
  const status = only(extractCallEvents(parsed(await fixture("status_username"))));
  assert.equal(status.kind, "status");
  if (status.kind !== "status") return;
  assert.equal("recipientId" in status, false);
  assert.equal(status.recipientUserId, "US.13491208655302741918");
});

Deno.test("a terminate with any status value, or none, is kept with the raw value", async () => {
  const cases: [unknown, string][] = [
    ["COMPLETED", "COMPLETED"],
    ["Completed", "COMPLETED"],
    ["FAILED", "FAILED"],
    ["Failed", "FAILED"],
    [" failed ", "FAILED"],
    ["NOT_ANSWERED", "UNKNOWN"],
    ["", "UNKNOWN"],
    [undefined, "UNKNOWN"],
  ];
  for (const [raw, want] of cases) {
    const json = await mutated("terminate", (v) => {
      const call = (v.calls as Record<string, unknown>[])[0]!;
      if (raw === undefined) delete call.status;
      else call.status = raw;
    });
    const item = only(extractCallEvents(parsed(json)));
    assert.equal(item.kind, "terminate", String(raw));
    if (item.kind !== "terminate") return;
    assert.equal(item.status, want, String(raw));
    assert.equal(item.metaStatus, raw, String(raw));
  }
});

Deno.test("terminate errors on the call object and on value are both read, every code kept", async () => {
  const json = await mutated("terminate_failed", (v) => {
    const call = (v.calls as Record<string, unknown>[])[0]!;
    call.errors = [{ code: 138019, message: "Call setup failed" }, { code: "138020" }];
    (v.errors as unknown[]).push({ code: 138021, message: "Media receive timeout" });
  });
  const item = only(extractCallEvents(parsed(json)));
  assert.equal(item.kind, "terminate");
  if (item.kind !== "terminate") return;
  assert.deepEqual(item.errors.map((e) => e.code), [138019, 138020, 138021, 138021]);
  assert.deepEqual(item.errors[1], { code: 138020 });
  const onlyOnCall = await mutated("terminate_failed", (v) => {
    (v.calls as Record<string, unknown>[])[0]!.errors = v.errors;
    delete v.errors;
  });
  const moved = only(extractCallEvents(parsed(onlyOnCall)));
  assert.deepEqual(moved.kind === "terminate" && moved.errors.map((e) => e.code), [138021]);
});

Deno.test("the same error on the call object and on value is kept once", async () => {
  const json = await mutated("terminate_failed", (v) => {
    (v.calls as Record<string, unknown>[])[0]!.errors = structuredClone(v.errors);
  });
  const item = only(extractCallEvents(parsed(json)));
  assert.deepEqual(item.kind === "terminate" && item.errors.map((e) => e.code), [138021]);
});

Deno.test("business-initiated connect yields a connect_answer", async () => {
  const item = only(extractCallEvents(parsed(await fixture("business_connect"))));
  assert.equal(item.kind, "connect_answer");
  if (item.kind !== "connect_answer") return;
  assert.equal(item.from, "13175551399");
  assert.equal(item.to, "12185552828");
  assert.equal(item.bizOpaqueCallbackData, "TRx334DUDFTI4Mj");
  assert.match(item.sdp, /a=setup:active/);
  assert.equal(item.wabaId, "366634483210360");
});

Deno.test("call status yields a status item with recipient", async () => {
  const item = only(extractCallEvents(parsed(await fixture("status"))));
  assert.deepEqual(item, {
    kind: "status",
    callId: "wacid.HBgLMTIxODU1NTI4MjgVAgARGCAyODRQIAFRoA",
    wabaId: "366634483210360",
    phoneNumberId: "436666719526789",
    displayPhoneNumber: "13175551399",
    timestamp: 1749196896000,
    bizOpaqueCallbackData: "TRx334DUDFTI4Mj",
    status: "RINGING",
    recipientId: "12185552828",
  });
});

Deno.test("call permission reply is typed; text messages pass through untouched", async () => {
  const reply = parsed(await fixture("call_permission_reply"));
  assert.deepEqual(extractCallEvents(reply), []);
  assert.deepEqual(extractCallPermissionReplies(reply), [{
    kind: "call_permission_reply",
    phoneNumberId: "106540352242922",
    from: "16315553602",
    messageId: "wamid.sH0kFlaCGg0xcvZbgmg90lHrg2dL",
    contextId: "wacid.gBGGFlaCmZ9plHrf2Mh-o",
    response: "accept",
    isPermanent: false,
    timestamp: 1749196800000,
    expiresAt: 1749801600000,
    responseSource: "user_action",
  }]);
  const textJson = await fixture("text_message");
  const text = parsed(textJson);
  assert.deepEqual(extractCallEvents(text), []);
  assert.deepEqual(extractCallPermissionReplies(text), []);
  assert.deepEqual(text, textJson, "opaque messages keep every field");
});

Deno.test("unknown fields, unknown events and unknown change fields are tolerated", async () => {
  const json = await mutated("connect", (v) => {
    v.recording = { status: "ENABLED" };
    (v.calls as unknown[]).push({ id: "wacid.X", event: "ringing_v2", extra: 1 });
  });
  (json as { entry: { changes: unknown[] }[] }).entry[0]!.changes.push({
    field: "account_update",
    value: { anything: true },
  });
  const env = parsed(json);
  const items = extractCallEvents(env);
  assert.deepEqual(items.map((i) => i.kind), ["connect_offer"]);
  const value = env.entry[0]!.changes[0]!.value as { recording?: unknown };
  assert.deepEqual(value.recording, { status: "ENABLED" });
});

Deno.test("several entries and changes are flattened in delivery order", async () => {
  const connect = await fixture("connect");
  const term = await fixture("terminate");
  const status = await fixture("status");
  const json = {
    object: "whatsapp_business_account",
    entry: [
      ...(connect.entry as unknown[]),
      ...(term.entry as unknown[]),
      ...(status.entry as unknown[]),
    ],
  };
  assert.deepEqual(extractCallEvents(parsed(json)).map((i) => i.kind), [
    "connect_offer",
    "terminate",
    "status",
  ]);
});

Deno.test("malformed payloads give a readable reason naming the path", async () => {
  const cases: [unknown, RegExp][] = [
    [null, /\(root\)/],
    ["text", /\(root\)/],
    [{ object: "whatsapp_business_account" }, /^entry: /],
    [
      await mutated("connect", (v) => {
        delete ((v.calls as Record<string, unknown>[])[0]!.session as Record<string, unknown>).sdp;
      }),
      /entry\[0\]\.changes\[0\]\.value\.calls\[0\]\.session\.sdp/,
    ],
    [
      await mutated("terminate", (v) => {
        (v.calls as Record<string, unknown>[])[0]!.status = 7;
      }),
      /calls\[0\]\.status/,
    ],
    [
      await mutated("connect", (v) => {
        (v.calls as Record<string, unknown>[])[0]!.timestamp = "yesterday";
      }),
      /calls\[0\]\.timestamp: expected unix seconds/,
    ],
    [
      await mutated("connect", (v) => {
        delete v.metadata;
      }),
      /value\.metadata/,
    ],
    [
      await mutated("call_permission_reply", (v) => {
        const m = (v.messages as { interactive: { call_permission_reply: object } }[])[0]!;
        m.interactive.call_permission_reply = { response: "maybe" };
      }),
      /messages\[0\]\.interactive\.call_permission_reply\.response/,
    ],
  ];
  for (const [input, reason] of cases) {
    const r = parseWebhook(input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, reason);
  }
});

Deno.test("hostile input never throws", () => {
  const deep: Record<string, unknown> = {};
  let cur = deep;
  for (let i = 0; i < 1000; i++) cur = (cur.x = {}) as Record<string, unknown>;
  for (const input of [undefined, 42, [], { entry: "x" }, { object: 1, entry: [{}] }, deep]) {
    assert.equal(parseWebhook(input).ok, false);
  }
});

Deno.test("callEventKey dedupes on call id and event", async () => {
  const connect = only(extractCallEvents(parsed(await fixture("connect"))));
  const term = only(extractCallEvents(parsed(await fixture("terminate"))));
  const status = only(extractCallEvents(parsed(await fixture("status"))));
  assert.equal(callEventKey(connect), "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh:connect_offer");
  assert.equal(callEventKey(term), "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh:terminate");
  assert.equal(callEventKey(status), "wacid.HBgLMTIxODU1NTI4MjgVAgARGCAyODRQIAFRoA:status:RINGING");
  const redelivered = only(extractCallEvents(parsed(await fixture("connect"))));
  assert.equal(callEventKey(redelivered), callEventKey(connect));
});

Deno.test("a body with 200,000 bad call events is refused with a bounded reason, never a stack overflow", () => {
  const calls = new Array(200_000).fill(1);
  const r = parseWebhook({
    object: "whatsapp_business_account",
    entry: [{
      id: "1",
      changes: [{ field: "calls", value: { messaging_product: "whatsapp", calls } }],
    }],
  });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.length < 4_000, `reason of ${!r.ok && r.error.length} characters`);
  assert.match(!r.ok ? r.error : "", /and \d+ more$/);
});
