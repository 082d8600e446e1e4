import assert from "node:assert/strict";
import { verifyMetaSignature } from "../lib/whatsapp/signature.ts";
import { parseWebhook } from "../lib/whatsapp/webhook.ts";
import {
  type BusinessNumber,
  callPermissionReply,
  callStatus,
  connectAnswer,
  connectOffer,
  DEFAULT_BUSINESS,
  deliver,
  deliveryOrder,
  MEDIA_RECEIVE_TIMEOUT_ERROR,
  type Payload,
  postWebhook,
  type SignedWebhook,
  signWebhook,
  terminate,
  textMessage,
} from "./meta_webhooks.ts";

const FIXTURES = new URL("../tests/fixtures/webhooks/", import.meta.url);
const SECRET = "app-secret";

async function fixture(name: string): Promise<Payload> {
  return JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, FIXTURES)));
}

/** The first call/status object of a fixture, for reusing its SDP. */
function firstItem(p: Payload, key: "calls" | "statuses"): Record<string, unknown> {
  const entry = (p.entry as { changes: { value: Record<string, unknown[]> }[] }[])[0]!;
  return entry.changes[0]!.value[key]![0] as Record<string, unknown>;
}

const sdpOf = (p: Payload) => (firstItem(p, "calls").session as { sdp: string }).sdp;

const USER = "16315553602";
const CALL = "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh";
const OUTBOUND: BusinessNumber = {
  wabaId: "366634483210360",
  phoneNumberId: "436666719526789",
  displayPhoneNumber: "13175551399",
};
const OUTBOUND_CALL = "wacid.HBgLMTIxODU1NTI4MjgVAgARGCAyODRQIAFRoA";
const BSUID = "BR.1502576394655843";
const CALLEE_BSUID = "US.13491208655302741918";

Deno.test("builders reproduce Meta's payloads (the fixtures) exactly", async () => {
  const connect = await fixture("connect");
  const bsuid = await fixture("connect_bsuid");
  const biz = await fixture("business_connect");
  const username = { userId: BSUID, username: "pablo.m", callerName: "Pablo Morales" };
  const callee = { userId: CALLEE_BSUID, username: "ana.s", callerName: "Ana Souza" };
  const cases: [string, Payload][] = [
    [
      "connect",
      connectOffer({
        callId: CALL,
        user: USER,
        timestamp: 1671644824,
        callerName: "Pablo Morales",
        sdp: sdpOf(connect),
      }),
    ],
    [
      "connect_bsuid",
      connectOffer({
        callId: "wacid.Ihgg0cVAgAVHAA=",
        user: USER,
        timestamp: 1780000000,
        callerName: "Pablo Morales",
        deeplinkPayload: "order-42",
        ctaPayload: "support",
        sdp: sdpOf(bsuid),
        extra: {
          from_user_id: "US.13491208655302741918",
          from_parent_user_id: "US.ENT.11815799212886844830",
          to_user_id: "US.ENT.9182737465",
          connection: { webrtc: { sdp: '{"type":"offer","sdp":"legacy"}' } },
        },
        contactExtra: { username: "pablo.m", user_id: "US.13491208655302741918" },
      }),
    ],
    [
      "terminate",
      terminate({
        callId: CALL,
        user: USER,
        timestamp: 1671644944,
        bizOpaqueCallbackData: "random_string",
        status: "COMPLETED",
        startTime: 1671644824,
        endTime: 1671644944,
        duration: 120,
      }),
    ],
    [
      "terminate_failed",
      terminate({
        callId: CALL,
        user: USER,
        timestamp: 1671644850,
        status: "Failed",
        errors: [MEDIA_RECEIVE_TIMEOUT_ERROR],
      }),
    ],
    [
      "status",
      callStatus({
        business: OUTBOUND,
        callId: OUTBOUND_CALL,
        user: "12185552828",
        timestamp: 1749196896,
        status: "RINGING",
        bizOpaqueCallbackData: "TRx334DUDFTI4Mj",
      }),
    ],
    [
      "business_connect",
      connectAnswer({
        business: OUTBOUND,
        callId: OUTBOUND_CALL,
        user: "12185552828",
        timestamp: 1749196895,
        bizOpaqueCallbackData: "TRx334DUDFTI4Mj",
        sdp: sdpOf(biz),
      }),
    ],
    [
      "connect_username",
      connectOffer({
        callId: CALL,
        ...username,
        timestamp: 1671644824,
        deeplinkPayload: "order-42",
        ctaPayload: "support-button",
        sdp: sdpOf(connect),
      }),
    ],
    [
      "terminate_username",
      terminate({
        callId: CALL,
        ...username,
        timestamp: 1671644944,
        bizOpaqueCallbackData: "random_string",
        status: "COMPLETED",
        startTime: 1671644824,
        endTime: 1671644944,
        duration: 120,
      }),
    ],
    [
      "business_connect_username",
      connectAnswer({
        business: OUTBOUND,
        callId: OUTBOUND_CALL,
        ...callee,
        timestamp: 1749196895,
        bizOpaqueCallbackData: "TRx334DUDFTI4Mj",
        sdp: sdpOf(biz),
      }),
    ],
    [
      "status_username",
      callStatus({
        business: OUTBOUND,
        callId: OUTBOUND_CALL,
        userId: CALLEE_BSUID,
        timestamp: 1749196896,
        status: "RINGING",
        bizOpaqueCallbackData: "TRx334DUDFTI4Mj",
      }),
    ],
    [
      "call_permission_reply",
      callPermissionReply({
        user: USER,
        callerName: "Pablo Morales",
        messageId: "wamid.sH0kFlaCGg0xcvZbgmg90lHrg2dL",
        contextId: "wacid.gBGGFlaCmZ9plHrf2Mh-o",
        response: "accept",
        isPermanent: false,
        timestamp: 1749196800,
        expirationTimestamp: 1749801600,
        responseSource: "user_action",
      }),
    ],
    [
      "text_message",
      textMessage({
        user: USER,
        callerName: "Pablo Morales",
        messageId: "wamid.HBgLMTYzMTU1NTM2MDIVAgASGBQzQTdCQkE0RjA0RjI2RjdFNTk5MQA=",
        timestamp: 1749196800,
        text: "Hi, can you call me back?",
      }),
    ],
  ];
  for (const [name, built] of cases) {
    assert.deepEqual(built, await fixture(name), name);
    assert.equal(parseWebhook(built).ok, true, name);
  }
});

Deno.test("business-initiated parties are from=business, to=user", () => {
  const p = terminate({
    business: OUTBOUND,
    callId: OUTBOUND_CALL,
    user: "12185552828",
    timestamp: 1,
    status: "COMPLETED",
    direction: "BUSINESS_INITIATED",
  });
  const call = firstItem(p, "calls");
  assert.equal(call.from, OUTBOUND.displayPhoneNumber);
  assert.equal(call.to, "12185552828");
  assert.equal(call.direction, "BUSINESS_INITIATED");
  assert.equal("start_time" in call, false, "times only when picked up");
});

Deno.test("a username user's number is left out on both sides, their user id put in", () => {
  const inbound = connectOffer({ callId: CALL, userId: BSUID, timestamp: 1, sdp: "v=0\r\n" });
  const call = firstItem(inbound, "calls");
  assert.equal("from" in call, false);
  assert.equal(call.from_user_id, BSUID);
  assert.equal(call.to, DEFAULT_BUSINESS.displayPhoneNumber);
  const value = (inbound.entry as { changes: { value: { contacts: Payload[] } }[] }[])[0]!
    .changes[0]!.value;
  assert.equal("wa_id" in value.contacts[0]!, false);
  assert.equal(value.contacts[0]!.user_id, BSUID);

  const outbound = terminate({
    business: OUTBOUND,
    callId: OUTBOUND_CALL,
    userId: CALLEE_BSUID,
    timestamp: 1,
    status: "COMPLETED",
    direction: "BUSINESS_INITIATED",
  });
  const ended = firstItem(outbound, "calls");
  assert.equal("to" in ended, false);
  assert.equal(ended.to_user_id, CALLEE_BSUID);
  assert.equal(ended.from, OUTBOUND.displayPhoneNumber);
});

Deno.test("terminate puts errors beside calls, or on the call object when asked", () => {
  const beside = terminate({
    callId: CALL,
    user: USER,
    timestamp: 1,
    status: "FAILED",
    errors: [MEDIA_RECEIVE_TIMEOUT_ERROR],
  });
  const onCall = terminate({
    callId: CALL,
    user: USER,
    timestamp: 1,
    status: "FAILED",
    callErrors: [MEDIA_RECEIVE_TIMEOUT_ERROR],
  });
  const value = (p: Payload) =>
    (p.entry as { changes: { value: Record<string, unknown> }[] }[])[0]!.changes[0]!.value;
  assert.deepEqual(value(beside).errors, [MEDIA_RECEIVE_TIMEOUT_ERROR]);
  assert.equal("errors" in firstItem(beside, "calls"), false);
  assert.equal("errors" in value(onCall), false);
  assert.deepEqual(firstItem(onCall, "calls").errors, [MEDIA_RECEIVE_TIMEOUT_ERROR]);
  assert.equal(parseWebhook(onCall).ok, true);
});

Deno.test("signWebhook signs the exact raw body it returns", async () => {
  const payload = callStatus({ callId: "wacid.A", user: USER, timestamp: 5, status: "ACCEPTED" });
  const w = await signWebhook(payload, SECRET);
  assert.equal(w.body, JSON.stringify(payload));
  assert.equal(w.headers["content-type"], "application/json");
  const raw = new TextEncoder().encode(w.body);
  assert.equal(await verifyMetaSignature(raw, w.headers["x-hub-signature-256"], SECRET), true);
  assert.equal(await verifyMetaSignature(raw, w.headers["x-hub-signature-256"], "other"), false);
  const verbatim = await signWebhook('{"a" : 1}', SECRET);
  assert.equal(verbatim.body, '{"a" : 1}');
});

Deno.test("deliveryOrder duplicates and shuffles reproducibly", () => {
  const items = ["a", "b", "c", "d", "e", "f"];
  assert.deepEqual(deliveryOrder(items), items);
  assert.deepEqual(deliveryOrder(items, { duplicate: true }).slice(0, 4), ["a", "a", "b", "b"]);
  const once = deliveryOrder(items, { duplicate: true, shuffle: 42 });
  assert.deepEqual(once, deliveryOrder(items, { duplicate: true, shuffle: 42 }));
  assert.deepEqual([...once].sort(), [...items, ...items].sort());
  assert.notDeepEqual(once, deliveryOrder(items, { duplicate: true }));
  assert.notDeepEqual(
    deliveryOrder(items, { shuffle: 1 }),
    deliveryOrder(items, { shuffle: 2 }),
  );
});

Deno.test("postWebhook and deliver POST signed bodies and tell the observer first", async () => {
  const received: { body: string; valid: boolean }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const raw = new Uint8Array(await req.arrayBuffer());
    const valid = await verifyMetaSignature(raw, req.headers.get("x-hub-signature-256"), SECRET);
    received.push({ body: new TextDecoder().decode(raw), valid });
    return new Response(valid ? "EVENT_RECEIVED" : "bad signature", { status: valid ? 200 : 401 });
  });
  const url = `http://127.0.0.1:${server.addr.port}/webhook`;
  try {
    const observed: SignedWebhook[] = [];
    const observer = { observeWebhook: (w: SignedWebhook) => void observed.push(w) };
    const a = await signWebhook(
      connectOffer({ callId: "wacid.1", user: USER, timestamp: 1, sdp: "v=0\r\n" }),
      SECRET,
    );
    const b = await signWebhook(
      terminate({ callId: "wacid.1", user: USER, timestamp: 2, status: "COMPLETED" }),
      SECRET,
    );
    const one = await postWebhook(url, a, { observer });
    assert.equal(one.status, 200);
    assert.equal(one.responseBody, "EVENT_RECEIVED");
    const many = await deliver(url, [a, b], { duplicate: true, shuffle: 7, observer });
    assert.equal(many.length, 4);
    assert.deepEqual(
      many.map((d) => d.webhook),
      deliveryOrder([a, b], { duplicate: true, shuffle: 7 }),
    );
    assert.deepEqual(
      received.map((r) => r.body),
      [a, ...many.map((d) => d.webhook)].map((w) => w.body),
    );
    assert.ok(received.every((r) => r.valid));
    assert.equal(observed.length, 5);
    const forged = await postWebhook(url, { ...a, body: a.body.replace("wacid.1", "wacid.2") });
    assert.equal(forged.status, 401);
  } finally {
    await server.shutdown();
  }
});

Deno.test("DEFAULT_BUSINESS matches the fixtures' business number", async () => {
  const meta = (await fixture("connect")).entry as { id: string }[];
  assert.equal(meta[0]!.id, DEFAULT_BUSINESS.wabaId);
});
