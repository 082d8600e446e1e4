/**
 * "Talk to your agent" over HTTP, against a real bridge (echo agent) and the
 * fake Meta Graph API: the routes' validation, the operator and CSRF gates,
 * a test call carried end to end with a werift caller standing in for the
 * browser, its record marked as a test call, and not one Graph request,
 * whether the console hangs up or the bridge ends the call itself.
 */
import assert from "node:assert/strict";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { until } from "../../tests/support/until.ts";
import type { CallRecord } from "../../store/store.ts";
import { startTalkStack, type TalkStack } from "../talk/talk_test_utils.ts";

const NUMBER = "106540352242922";
const SESSIONS = `/talk/${NUMBER}/sessions`;

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Polls the store until the call satisfies `ready`. */
async function recordWhen(
  stack: TalkStack,
  callId: string,
  ready: (c: CallRecord) => boolean,
  what: string,
): Promise<CallRecord> {
  let call: CallRecord | null = null;
  const end = performance.now() + 10_000;
  while (call === null || !ready(call)) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}: ${call?.status}`);
    await new Promise((r) => setTimeout(r, 50));
    call = await stack.store.getCall(callId);
  }
  return call;
}

/** Starts a test call from a werift caller through the console; resolves once media is accepted. */
async function talk(stack: TalkStack): Promise<{ caller: WhatsAppCaller; callId: string }> {
  const caller = await WhatsAppCaller.create({
    // A 1 s tone then 1 s of silence, over and over: the echo agent plays each burst back.
    voice: (i) => (i % 100 < 50 ? tone(i) : null),
    waitForFirstPacket: false,
  });
  const res = await stack.console.fetch(SESSIONS, {
    ...json({ sdp: caller.offerSdp }),
    role: "operator",
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { callId, sdp } = await res.json();
  assert.match(callId, /^test-[0-9a-f-]{36}$/);
  assert.match(sdp, /^v=0/);
  await caller.applyAnswer(sdp);
  await caller.connected(10_000);
  await recordWhen(stack, callId, (c) => c.status === "accepted", "the accept");
  return { caller, callId };
}

function tone(frame: number): Int16Array {
  const pcm = new Int16Array(480);
  for (let i = 0; i < pcm.length; i++) {
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * 480 + i)) / 24000));
  }
  return pcm;
}

Deno.test("talk page: validation, gates, and a test call with no Graph request", async (t) => {
  const stack = await startTalkStack();
  const callers: WhatsAppCaller[] = [];
  try {
    await t.step("the page: operators get the call controls, viewers a note", async () => {
      const op = await stack.console.fetch("/talk", { role: "operator" });
      const page = await op.text();
      assert.equal(op.status, 200);
      assert.match(page, /<script type="module" src="\/static\/talk\.js">/);
      assert.match(page, /id="talk-status" role="status" aria-live="polite"/);
      assert.match(page, /<label for="talk-number">/);
      const viewer = await (await stack.console.fetch("/talk", { role: "viewer" })).text();
      assert.match(viewer, /needs the operator role/);
      assert.doesNotMatch(viewer, /talk\.js|id="talk-start"/);
    });

    await t.step(
      "invalid requests are refused with the reason, before the bridge is asked",
      async () => {
        const cases: Array<[string, RequestInit, RegExp]> = [
          [
            "/talk/not-digits/sessions",
            json({ sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" }),
            /phoneNumberId/,
          ],
          [SESSIONS, json({}), /sdp/],
          [SESSIONS, json({ sdp: "hello m=audio" }), /sdp/],
          [SESSIONS, json({ sdp: "v=0\r\nm=video 9 RTP/AVP 96\r\n" }), /sdp/],
          [SESSIONS, json({ sdp: `v=0\r\nm=audio ${"a".repeat(70_000)}` }), /sdp/],
          [
            SESSIONS,
            { method: "POST", headers: { "content-type": "application/json" }, body: "{" },
            /invalid offer/,
          ],
          [`${SESSIONS}/wacid.real-call`, { method: "DELETE" }, /callId/],
        ];
        for (const [path, init, reason] of cases) {
          const res = await stack.console.fetch(path, { ...init, role: "operator" });
          const body = await res.text();
          assert.equal(res.status, 400, `${path}: ${body}`);
          assert.match(body, reason);
        }
        const huge = await stack.console.fetch(SESSIONS, {
          ...json({ sdp: `v=0\r\nm=audio ${"a".repeat(200_000)}` }),
          role: "operator",
        });
        assert.equal(huge.status, 413, "refused before it is parsed");
        await huge.body?.cancel();
        const unknown = await stack.console.fetch(`${SESSIONS}/test-${crypto.randomUUID()}`, {
          method: "DELETE",
          role: "operator",
        });
        assert.equal(unknown.status, 404);
        assert.equal(
          stack.bridge.manager.counters.created + stack.bridge.manager.counters.failedOffers,
          0,
        );
      },
    );

    await t.step(
      "viewers, the signed-out and requests without the CSRF token are refused",
      async () => {
        const offer = json({ sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" });
        const viewer = await stack.console.fetch(SESSIONS, { ...offer, role: "viewer" });
        assert.equal(viewer.status, 403);
        const anonymous = await stack.console.fetch(SESSIONS, offer);
        assert.equal(anonymous.status, 401);
        const noToken = await stack.console.fetch(SESSIONS, {
          ...offer,
          role: "operator",
          headers: { "content-type": "application/json", "x-csrf-token": "" },
        });
        assert.equal(noToken.status, 403);
        const wrongToken = await stack.console.fetch(SESSIONS, {
          ...offer,
          role: "operator",
          headers: {
            "content-type": "application/json",
            "x-csrf-token": await stack.console.csrfFor("admin"),
          },
        });
        assert.equal(wrongToken.status, 403);
        const viewerHangup = await stack.console.fetch(`${SESSIONS}/test-${crypto.randomUUID()}`, {
          method: "DELETE",
          role: "viewer",
        });
        assert.equal(viewerHangup.status, 403);
        assert.equal(
          stack.bridge.manager.counters.created + stack.bridge.manager.counters.failedOffers,
          0,
        );
      },
    );

    await t.step(
      "an offer the bridge cannot use: 400 with its reasons, the record failed",
      async () => {
        const res = await stack.console.fetch(SESSIONS, {
          ...json({ sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" }),
          role: "admin",
        });
        const body = await res.json();
        assert.equal(res.status, 400);
        assert.ok(body.reasons.length > 0, JSON.stringify(body));
        assert.equal(stack.bridge.manager.counters.failedOffers, 1);
        const call = await stack.store.getCall(body.callId);
        assert.equal(call?.status, "failed");
        assert.equal(call?.endReason, "bridge_offer_rejected");
        assert.equal(call?.testCall, true);
      },
    );

    await t.step("a test call end to end, recorded as a test call", async () => {
      const { caller, callId } = await talk(stack);
      callers.push(caller);
      await until(() => caller.heard.length >= 25, 10_000, "the agent's audio");
      const session = stack.bridge.manager.list().find((s) => s.callId === callId);
      assert.ok(session, "the bridge holds the call");
      assert.equal(session.toJSON().testCall, true);
      await until(
        () => session.mediaStats().packetsReceived > 0,
        5_000,
        "the caller's audio at the bridge",
      );

      const res = await stack.console.fetch(`${SESSIONS}/${callId}`, {
        method: "DELETE",
        role: "operator",
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { outcome: "ended" });
      const call = await recordWhen(
        stack,
        callId,
        (c) => c.status === "completed",
        "the record closed",
      );
      assert.equal(call.testCall, true);
      assert.equal(call.direction, "user_initiated");
      assert.equal(call.phoneNumberId, NUMBER);
      assert.equal(call.fromNumber, null, "no phone number: the caller is a console user");
      assert.equal(call.fromUserId, "user-operator");
      assert.equal(call.profileName, "operator@console.test");
      assert.equal(call.endReason, "hangup");
      assert.ok(call.offeredAt && call.acceptedAt && call.endedAt);
      assert.equal(typeof call.durationSeconds, "number");
      const events = (await stack.store.listEvents(callId)).map((e) => e.name);
      for (
        const name of [
          "connect",
          "bridge_session_started",
          "accepted",
          "bridge_accept",
          "hangup_requested",
          "bridge_session_ended",
        ]
      ) {
        assert.ok(events.includes(name), `event ${name} in ${events.join(", ")}`);
      }
      const again = await stack.console.fetch(`${SESSIONS}/${callId}`, {
        method: "DELETE",
        role: "operator",
      });
      assert.deepEqual(await again.json(), { outcome: "already_ended" });

      // The bridge ends a second call itself (a shutdown), which tells Meta for a WhatsApp call.
      const second = await talk(stack);
      callers.push(second.caller);
      await stack.bridge.close(0);
      const ended = await recordWhen(
        stack,
        second.callId,
        (c) => c.status === "completed",
        "the drained call",
      );
      assert.equal(ended.endReason, "bridge_shutdown");
      assert.equal(ended.testCall, true);
    });
  } finally {
    await Promise.all(callers.map((c) => c.close()));
    await stack.close();
  }
  assert.deepEqual(stack.graph.requests, [], "the fake Meta saw no request");
});
