import assert from "node:assert/strict";
import { BridgeClient, BridgeError } from "../../lib/bridge_api/client.ts";
import { META_OFFER } from "../../tests/support/session_fakes.ts";
import { stalledManager, tick } from "../../tests/support/stalled_manager.ts";
import { until } from "../../tests/support/until.ts";
import { createApp } from "./app.ts";

const SECRET = "s3cret-s3cret-s3cret";

const offer = (callId: string) => ({
  callId,
  phoneNumberId: "106540352242922",
  from: "16315553602",
  to: "16315553601",
  sdp: META_OFFER,
});

function harness(maxSessions = 10) {
  const s = stalledManager(maxSessions);
  const app = createApp({ manager: s.manager, secret: SECRET, cpuPercent: () => 0 });
  const post = (body: unknown, init: RequestInit = {}) =>
    app.request("/sessions", {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      ...init,
    });
  /** Answers peers as they are asked for until every response is in. */
  const responses = async (answers: Array<Response | Promise<Response>>) => {
    const pending = answers.map((a) => Promise.resolve(a));
    let done = 0;
    for (const p of pending) void p.then(() => done++);
    await until(
      () => {
        void s.answerAll();
        return done === pending.length;
      },
      5_000,
      "every response",
    );
    return (await Promise.all(pending)).map((r) => r.status);
  };
  return { ...s, app, post, responses };
}

Deno.test("POST /sessions: 20 at once with MAX_SESSIONS=3 get exactly three 201s, the rest 503", async () => {
  const h = harness(3);
  const answers = Array.from({ length: 20 }, (_, i) => h.post(offer(`wacid.hc${i}`)));
  const statuses = await h.responses(answers);
  assert.equal(statuses.filter((s) => s === 201).length, 3);
  assert.equal(statuses.filter((s) => s === 503).length, 17);
  await h.manager.drain(0);
});

Deno.test("POST /sessions: 20 at once for one call id get one 201, the rest 409", async () => {
  const h = harness();
  const answers = Array.from({ length: 20 }, () => h.post(offer("wacid.hsame")));
  const statuses = await h.responses(answers);
  assert.equal(statuses.filter((s) => s === 201).length, 1);
  assert.equal(statuses.filter((s) => s === 409).length, 19);
  await h.manager.drain(0);
  assert.deepEqual(h.terminator.requested, ["wacid.hsame"], "one terminate for the call");
});

Deno.test("POST /sessions: a client that disconnected gets its session closed unseen", async () => {
  const h = harness();
  const client = new AbortController();
  const answer = h.post(offer("wacid.gone"), { signal: client.signal });
  await tick();
  client.abort();
  await h.answerAll();
  assert.equal((await answer).status, 408);
  assert.ok(h.peers[0]!.closed);
  assert.equal(h.manager.list().length, 0);
  assert.deepEqual(h.store.events, ["bridge_session_orphaned"]);
});

Deno.test("a bridge slower than the client's deadline: the client times out, the session ends quietly", async () => {
  const h = harness();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, h.app.fetch);
  try {
    const bridge = new BridgeClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      secret: SECRET,
      timeoutMs: 200,
    });
    const creating = bridge.createSession(offer("wacid.slow")).catch((e: unknown) => e);
    await until(() => h.peers.length === 1, 2_000, "the bridge to start the peer");
    const failed = await creating;
    assert.ok(failed instanceof BridgeError && failed.failure === "timeout", String(failed));
    // The deadline the client sent passes on the bridge's clock too.
    h.scheduler.advance(200);
    await h.answerAll();
    await until(() => h.store.events.length > 0, 2_000, "the orphan to be recorded");
    h.scheduler.advance(60_000);
    await tick();
    assert.ok(h.peers[0]!.closed);
    assert.equal(h.manager.list().length, 0);
    assert.deepEqual(h.terminator.requested, [], "no Graph terminate for a rejected call");
    assert.deepEqual(h.store.calls, [], "no end reason written over the function's");
    assert.deepEqual(h.store.events, ["bridge_session_orphaned"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("DELETE /calls/:callId ends a call's session quietly, cancels a creation, 404s otherwise", async () => {
  const h = harness();
  const bridge = new BridgeClient({
    baseUrl: "http://bridge.test",
    secret: SECRET,
    fetch: (input, init) => Promise.resolve(h.app.request(input as string, init)),
  });
  const live = bridge.createSession(offer("wacid.live"));
  await tick();
  await h.answerAll();
  await live;
  assert.deepEqual(await bridge.endCall("wacid.live", "bridge_timeout"), {
    callId: "wacid.live",
    outcome: "ended",
  });
  assert.equal(h.manager.list().length, 0);
  assert.deepEqual(h.terminator.requested, []);
  const pending = bridge.createSession(offer("wacid.pending")).catch((e: unknown) => e);
  await tick();
  assert.deepEqual(await bridge.endCall("wacid.pending", "bridge_timeout"), {
    callId: "wacid.pending",
    outcome: "cancelled",
  });
  await h.answerAll();
  const orphaned = await pending;
  assert.ok(orphaned instanceof BridgeError && orphaned.failure === "timeout");
  const missing = await bridge.endCall("wacid.none", "x").catch((e: unknown) => e);
  assert.ok(missing instanceof BridgeError && missing.failure === "not_found");
  assert.equal(
    (await h.app.request("/calls/x", {
      method: "DELETE",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ reason: "r".repeat(500) }),
    })).status,
    400,
  );
});

Deno.test("POST /sessions refuses a deadline header that is not a number of ms", async () => {
  const h = harness();
  const res = await h.post(offer("wacid.hdr"), {
    headers: {
      authorization: `Bearer ${SECRET}`,
      "x-request-deadline-ms": "soon",
    },
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, "invalid headers");
  assert.equal(h.peers.length, 0);
});
