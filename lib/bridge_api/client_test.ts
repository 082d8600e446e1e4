import assert from "node:assert/strict";
import { BridgeClient, BridgeError, bridgeFailureReason } from "./client.ts";
import { FakeBridge } from "../../tests/functions/fake_bridge.ts";
import { closedPort } from "../../tests/functions/harness.ts";

const SESSION = {
  callId: "wacid.1",
  phoneNumberId: "106540352242922",
  from: "16315553602",
  to: "16315553601",
  sdp: "v=0\r\n",
};

async function withBridge(fn: (bridge: FakeBridge, client: BridgeClient) => Promise<void>) {
  const bridge = new FakeBridge("bridge-secret");
  const server = await bridge.start();
  try {
    await fn(
      bridge,
      new BridgeClient({ baseUrl: `${server.url}/`, secret: "bridge-secret", timeoutMs: 300 }),
    );
  } finally {
    await server.close();
  }
}

async function failure(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof BridgeError, String(e));
    return e;
  }
  throw new Error("expected a BridgeError");
}

Deno.test("bridge client: create → answer, accept, end with reason, all authenticated", async () => {
  await withBridge(async (bridge, client) => {
    const session = await client.createSession(SESSION);
    assert.match(session.sdp, /^v=0\r\n/);
    await client.acceptSession(session.sessionId);
    await client.endSession(session.sessionId, "meta_terminate");
    assert.deepEqual(bridge.requests.map((r) => [r.method, r.path, r.authorized]), [
      ["POST", "/sessions", true],
      ["POST", `/sessions/${session.sessionId}/accept`, true],
      ["DELETE", `/sessions/${session.sessionId}`, true],
    ]);
    assert.deepEqual(bridge.requests[0]!.body, SESSION);
    assert.equal(bridge.sessions.get(session.sessionId)?.endReason, "meta_terminate");
    assert.equal((await failure(client.acceptSession("missing"))).failure, "not_found");
  });
});

Deno.test("bridge client: failures are typed by cause", async () => {
  await withBridge(async (bridge, client) => {
    bridge.createFault = {
      kind: "status",
      status: 503,
      body: { error: "at capacity", reason: "cpu" },
    };
    const capacity = await failure(client.createSession(SESSION));
    assert.deepEqual([capacity.failure, capacity.httpStatus], ["capacity", 503]);
    assert.match(capacity.message, /at capacity; cpu/);
    bridge.createFault = {
      kind: "status",
      status: 400,
      body: { error: "unusable offer", reasons: ["no opus"] },
    };
    assert.equal((await failure(client.createSession(SESSION))).failure, "offer_rejected");
    bridge.createFault = { kind: "bad_answer", body: { sessionId: "x", sdp: "not sdp" } };
    assert.equal((await failure(client.createSession(SESSION))).failure, "bad_response");
    bridge.createFault = { kind: "delay", ms: 500 };
    assert.equal((await failure(client.createSession(SESSION))).failure, "timeout");
    bridge.createFault = undefined;
    await client.createSession(SESSION);
    assert.equal((await failure(client.createSession(SESSION))).failure, "conflict");
  });
  const wrongSecret = new BridgeClient({
    baseUrl: "http://127.0.0.1:1",
    secret: "s",
    fetch: () => Promise.resolve(new Response("{}", { status: 401 })),
  });
  assert.equal((await failure(wrongSecret.createSession(SESSION))).failure, "bad_response");
});

Deno.test("bridge client: connection refused is `unreachable` and never shows the secret", async () => {
  const client = new BridgeClient({
    baseUrl: `http://127.0.0.1:${closedPort()}`,
    secret: "top-secret",
  });
  const e = await failure(client.createSession(SESSION));
  assert.equal(e.failure, "unreachable");
  assert.doesNotMatch(e.message, /top-secret/);
  const echoing = new BridgeClient({
    baseUrl: "http://bridge.test",
    secret: "top-secret",
    fetch: () => Promise.resolve(Response.json({ error: "bad token top-secret" }, { status: 500 })),
  });
  const echoed = await failure(echoing.endSession("s1", "x"));
  assert.doesNotMatch(echoed.message, /top-secret/);
  assert.match(echoed.message, /\[redacted\]/);
});

Deno.test("bridge client: a 2xx whose body is not the documented answer is `bad_response`", async () => {
  const answering = (status: number, body: unknown) =>
    new BridgeClient({
      baseUrl: "http://bridge.test",
      secret: "s",
      fetch: () => Promise.resolve(Response.json(body, { status })),
    });
  const cases: [string, (c: BridgeClient) => Promise<unknown>, number, unknown][] = [
    ["create", (c) => c.createSession(SESSION), 201, { sessionId: "s1" }],
    ["accept", (c) => c.acceptSession("s1"), 200, { sessionId: "s1", state: "dancing" }],
    ["notify", (c) => c.notifySession("s1", { kind: "status", status: "RINGING" }), 200, {}],
    ["end", (c) => c.endSession("s1", "x"), 200, { ok: true }],
  ];
  for (const [name, run, status, body] of cases) {
    const e = await failure(run(answering(status, body)));
    assert.deepEqual([e.failure, e.httpStatus], ["bad_response", status], name);
  }
  const fine = answering(200, { sessionId: "s1", state: "ended", reason: "x" });
  assert.deepEqual(await fine.endSession("s1", "x"), {
    sessionId: "s1",
    state: "ended",
    reason: "x",
  });
});

Deno.test("bridge client: waitConnected may take the wait it asks for, plus the usual deadline", async () => {
  await withBridge(async (bridge, client) => {
    bridge.media = "held";
    const { sessionId } = await client.createSession(SESSION);
    const started = performance.now();
    const waiting = client.waitConnected(sessionId, 400);
    // Past the usual 300 ms deadline, inside the 400 ms wait asked for.
    setTimeout(() => bridge.connect(sessionId), 350);
    assert.deepEqual(await waiting, { sessionId, state: "answered", connected: true });
    assert.deepEqual(bridge.requests.at(-1)?.body, { timeoutMs: 400 });

    const lost = await failure(client.waitConnected(sessionId, 100));
    assert.equal(lost.failure, "timeout");
    assert.match(lost.message, /timed out after 400 ms/);
    assert.ok(performance.now() - started < 2000);
    await client.endSession(sessionId, "test");
  });
});

Deno.test("bridgeFailureReason names the bridge's failure under a prefix, else bridge_error", () => {
  const timeout = new BridgeError("timeout", "timed out");
  assert.equal(bridgeFailureReason(timeout), "bridge_timeout");
  assert.equal(bridgeFailureReason(timeout, "bridge_accept"), "bridge_accept_timeout");
  assert.equal(bridgeFailureReason(new Error("boom"), "bridge_accept"), "bridge_error");
  assert.equal(bridgeFailureReason("not an error"), "bridge_error");
});
