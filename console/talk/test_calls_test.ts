/**
 * The test-call flow against a scripted bridge: the order of the Edge
 * Function (session → connected → accept), a media connection that never
 * comes, a bridge that cannot be reached, and a WhatsApp call that this page
 * must never end. The whole path against a real bridge is in
 * `console/pages/talk_test.ts` and `tests/console/talk_page_test.ts`.
 */
import assert from "node:assert/strict";
import { BridgeError } from "../../lib/bridge_api/client.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import type { ConsoleUser } from "../server/context.ts";
import { type TalkBridge, talkFromEnv, TestCallError, TestCalls } from "./test_calls.ts";

const USER: ConsoleUser = { id: "user-1", email: "op@example.com", role: "operator" };
const OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";

/** A bridge that answers as scripted and notes every request. */
function scriptedBridge(connected: boolean, fail?: BridgeError) {
  const calls: string[] = [];
  const bridge: TalkBridge = {
    createSession(s) {
      calls.push(`create ${s.testCall}`);
      if (fail) return Promise.reject(fail);
      return Promise.resolve({ sessionId: "s-1", sdp: "v=0\r\nanswer" });
    },
    waitConnected(id, ms) {
      calls.push(`connected ${id} ${ms}`);
      return Promise.resolve({ sessionId: id, state: "answered", connected });
    },
    acceptSession(id) {
      calls.push(`accept ${id}`);
      return Promise.resolve({ sessionId: id, state: "accepted" });
    },
    endSession(id, reason) {
      calls.push(`end ${id} ${reason}`);
      return Promise.resolve({ sessionId: id, state: "ended", reason });
    },
  };
  return { bridge, calls };
}

/** One migrated store for every case (each call id is new), closed after the last. */
let shared: Promise<Store> | undefined;
async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  await fn(await (shared ??= openStore({ pgliteDir: "memory://" })));
}

Deno.test("test calls: session, then connected, then accept; the record accepted", async () => {
  await withStore(async (store) => {
    const { bridge, calls } = scriptedBridge(true);
    const talk = new TestCalls({ store, bridge, now: () => new Date(), connectWaitMs: 1234 });
    const { callId, sdp } = await talk.start({ user: USER, phoneNumberId: "123", sdp: OFFER });
    assert.equal(sdp, "v=0\r\nanswer");
    await talk.settled();
    assert.deepEqual(calls, ["create true", "connected s-1 1234", "accept s-1"]);
    const call = await store.getCall(callId);
    assert.equal(call?.status, "accepted");
    assert.equal(call?.bridgeSessionId, "s-1");
    assert.equal(call?.testCall, true);
  });
});

Deno.test("test calls: no media connection: failed, the session ended, never accepted", async () => {
  await withStore(async (store) => {
    const { bridge, calls } = scriptedBridge(false);
    const talk = new TestCalls({ store, bridge, now: () => new Date() });
    const { callId } = await talk.start({ user: USER, phoneNumberId: "123", sdp: OFFER });
    await talk.settled();
    assert.deepEqual(calls, ["create true", "connected s-1 8000", "end s-1 media_not_connected"]);
    const call = await store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.endReason, "media_not_connected");
  });
});

Deno.test("test calls: a bridge that cannot be reached: a typed refusal, the record failed", async () => {
  await withStore(async (store) => {
    const { bridge } = scriptedBridge(true, new BridgeError("unreachable", "connection refused"));
    const talk = new TestCalls({ store, bridge, now: () => new Date() });
    const error = await talk.start({ user: USER, phoneNumberId: "123", sdp: OFFER }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TestCallError);
    assert.equal(error.failure, "unreachable");
    const call = await store.getCall(error.callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.endReason, "bridge_unreachable");
  });
});

Deno.test("test calls: a WhatsApp call is never hung up from this page", async () => {
  await withStore(async (store) => {
    await store.upsertCall({ callId: "wacid.real", status: "accepted", bridgeSessionId: "s-9" });
    const { bridge, calls } = scriptedBridge(true);
    const talk = new TestCalls({ store, bridge, now: () => new Date() });
    assert.equal(await talk.hangUp("wacid.real", USER), "not_found");
    assert.deepEqual(calls, []);
  });
});

Deno.test("test calls: configured from VOICE_BRIDGE_URL and VOICE_BRIDGE_SECRET, else off", async () => {
  await withStore((store) => {
    assert.equal(talkFromEnv(store, {}), undefined);
    assert.equal(talkFromEnv(store, { VOICE_BRIDGE_URL: "http://127.0.0.1:1" }), undefined);
    const talk = talkFromEnv(store, {
      VOICE_BRIDGE_URL: "http://127.0.0.1:1",
      VOICE_BRIDGE_SECRET: "0123456789abcdef",
    });
    assert.ok(talk instanceof TestCalls);
    return Promise.resolve();
  });
});

Deno.test("test calls: (closing the shared store)", async () => {
  await (await shared)?.close();
});
