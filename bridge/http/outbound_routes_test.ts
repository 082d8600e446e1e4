/**
 * The bridge's business-initiated call routes on a manual clock: capacity is
 * checked before Meta rings anyone, the ring is bounded, Meta's answer is
 * checked, and `ACCEPTED` before the answer still starts media once connected.
 */
import assert from "node:assert/strict";
import type { MetaAnswer } from "../../lib/sdp/whatsapp_business_offer.ts";
import { FakePeer } from "../../tests/support/session_fakes.ts";
import { stalledManager, tick } from "../../tests/support/stalled_manager.ts";
import { OutboundOffers } from "../session/outbound_offers.ts";
import { createApp } from "./app.ts";

const SECRET = "s3cret-s3cret-s3cret";

/** Meta's documented answer shape (setup:active, ICE-lite, one host candidate). */
const ANSWER = [
  "v=0",
  "o=- 2 0 IN IP4 31.13.65.130",
  "s=-",
  "t=0 0",
  "a=ice-lite",
  "a=group:BUNDLE 0",
  "m=audio 3482 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 31.13.65.130",
  "a=ice-ufrag:wxyz",
  "a=ice-pwd:abcdefghijklmnopqrstuv",
  "a=fingerprint:sha-256 0B:3E:9D:51:7C:2A:4F:88:19:E6:D0:55:A3:7B:C4:12:6E:9F:80:3D:B2:47:11:CE:5A:08:F3:94:2C:D7:61:AB",
  "a=setup:active",
  "a=mid:0",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:126 telephone-event/8000",
  "a=candidate:1 1 udp 2122260223 31.13.65.130 3482 typ host",
  "",
].join("\r\n");

class OfferingPeer extends FakePeer {
  answers: MetaAnswer[] = [];
  applyAnswer(answer: MetaAnswer): Promise<void> {
    this.answers.push(answer);
    return Promise.resolve();
  }
}

function harness(maxSessions = 10) {
  const s = stalledManager(maxSessions);
  const peers: OfferingPeer[] = [];
  const offers = new OutboundOffers(() => {
    const peer = new OfferingPeer(s.scheduler);
    peers.push(peer);
    return Promise.resolve(peer);
  });
  const app = createApp({ manager: s.manager, secret: SECRET, cpuPercent: () => 0, offers });
  const send = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const place = async (callId: string, ringTimeoutMs = 45_000) => {
    const made = await (await send("POST", "/offers", { phoneNumberId: "1" })).json();
    const res = await send("POST", "/sessions/outbound", {
      offerId: made.offerId,
      callId,
      phoneNumberId: "1",
      to: "447700900123",
      ringTimeoutMs,
      purpose: { greeting: "Hello {{name}}", variables: { name: "Ana" } },
    });
    assert.equal(res.status, 201);
    const { sessionId } = await res.json();
    return { sessionId, session: s.manager.get(sessionId)!, peer: peers.at(-1)! };
  };
  return { ...s, offers, send, place };
}

Deno.test("POST /offers counts offers not yet sessions against MAX_SESSIONS", async () => {
  const h = harness(1);
  assert.equal((await h.send("POST", "/offers", { phoneNumberId: "1" })).status, 201);
  const full = await h.send("POST", "/offers", { phoneNumberId: "1" });
  assert.equal(full.status, 503);
  assert.equal((await full.json()).reason, "max_sessions");
  const unknown = await h.send("POST", "/sessions/outbound", {
    offerId: "offer.nope",
    callId: "wacid.x",
    phoneNumberId: "1",
    to: "447700900123",
    ringTimeoutMs: 45_000,
  });
  assert.equal(unknown.status, 404);
  await h.offers.closeAll();
});

Deno.test("no ACCEPTED within the ring bound: Graph terminate, ended `no_answer`", async () => {
  const h = harness();
  const { session } = await h.place("wacid.ring", 45_000);
  assert.equal(session.direction, "business_initiated");
  assert.equal(session.greeting, "Hello Ana");
  h.scheduler.advance(44_999);
  await tick();
  assert.equal(session.state, "answered", "still ringing");
  h.scheduler.advance(1);
  await tick();
  await tick();
  assert.equal(session.endReason, "no_answer");
  assert.deepEqual(h.terminator.requested, ["wacid.ring"]);
});

Deno.test("ACCEPTED before Meta's answer: media starts once the answer is applied and ICE is up", async () => {
  const h = harness();
  const { sessionId, session, peer } = await h.place("wacid.early");
  await h.send("POST", `/sessions/${sessionId}/events`, { kind: "status", status: "ACCEPTED" });
  assert.equal(session.state, "accepted");
  const res = await h.send("POST", `/sessions/${sessionId}/events`, {
    kind: "connect_answer",
    sdp: ANSWER,
  });
  assert.equal(res.status, 200);
  assert.equal(peer.answers[0]?.setup, "active");
  peer.connect();
  await tick();
  assert.equal(session.state, "active");
  // The ring bound no longer applies to a picked-up call.
  h.scheduler.advance(60_000);
  await tick();
  assert.equal(session.state, "active");
  await session.end("hangup", false);
});

Deno.test("an unusable answer: 400 with the reasons, the call terminated at Meta", async () => {
  const h = harness();
  const { sessionId, session, peer } = await h.place("wacid.bad");
  const res = await h.send("POST", `/sessions/${sessionId}/events`, {
    kind: "connect_answer",
    sdp: ANSWER.replace(/a=fingerprint:[^\r]*\r\n/, ""),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, "unusable answer");
  assert.match(body.reasons.join(), /fingerprint/);
  await tick();
  assert.equal(peer.answers.length, 0, "never applied");
  assert.equal(session.endReason, "meta_answer_invalid");
  assert.deepEqual(h.terminator.requested, ["wacid.bad"]);
});

Deno.test("REJECTED ends the call without a Graph terminate", async () => {
  const h = harness();
  const { sessionId, session } = await h.place("wacid.no");
  await h.send("POST", `/sessions/${sessionId}/events`, { kind: "status", status: "REJECTED" });
  await tick();
  assert.equal(session.endReason, "rejected");
  assert.deepEqual(h.terminator.requested, []);
});
