import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { SessionManager } from "../session/session_manager.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { createApp } from "./app.ts";
import { BridgeClient, BridgeError } from "../../lib/bridge_api/client.ts";
import { ErrorBodySchema, MAX_CALLER_PAYLOAD_CHARS } from "../../lib/bridge_api/schema.ts";
import { bearerMatches } from "../../lib/auth/secret.ts";
import { until } from "../../tests/support/until.ts";

const SECRET = "s3cret-s3cret-s3cret";

function harness(opts: { maxSessions?: number; cpu?: number; maxCpuPercent?: number } = {}) {
  const scheduler = new ManualScheduler();
  const peers: FakePeer[] = [];
  const manager = new SessionManager({
    maxSessions: opts.maxSessions ?? 10,
    maxCpuPercent: opts.maxCpuPercent ?? 80,
    cpuPercent: () => opts.cpu ?? 5,
    deps: {
      createPeer: () => Promise.resolve(peers[peers.push(new FakePeer(scheduler)) - 1]!),
      createAgent: () => new FakeAgent(),
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  });
  const app = createApp({ manager, secret: SECRET, cpuPercent: () => opts.cpu ?? 5 });
  const call = (method: string, path: string, body?: unknown, auth = `Bearer ${SECRET}`) =>
    app.request(path, {
      method,
      headers: { authorization: auth, "content-type": "application/json" },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { app, manager, call, peers, scheduler };
}

const offer = (callId: string) => ({
  callId,
  phoneNumberId: "106540352242922",
  from: "16315553602",
  to: "16315553601",
  sdp: META_OFFER,
});

Deno.test("bearerMatches compares the whole secret", async () => {
  assert.ok(await bearerMatches(`Bearer ${SECRET}`, SECRET));
  assert.ok(!await bearerMatches(`Bearer ${SECRET}x`, SECRET));
  assert.ok(!await bearerMatches(SECRET, SECRET));
  assert.ok(!await bearerMatches(null, SECRET));
});

Deno.test("every route but /healthz needs the bearer secret", async () => {
  const { call, app } = harness();
  assert.equal((await app.request("/healthz")).status, 200);
  for (
    const [method, path] of [["GET", "/sessions"], ["POST", "/sessions"], ["GET", "/metrics"], [
      "POST",
      "/sessions/x/accept",
    ], ["DELETE", "/sessions/x"]]
  ) {
    assert.equal(
      (await call(method!, path!, undefined, "Bearer wrong")).status,
      401,
      `${method} ${path}`,
    );
  }
});

Deno.test("POST /sessions answers, then accept, GET and DELETE work; numbers are masked", async () => {
  const { call } = harness();
  const res = await call("POST", "/sessions", offer("wacid.h1"));
  assert.equal(res.status, 201);
  const { sessionId, sdp } = await res.json();
  assert.equal(sdp, "v=0\r\n");
  assert.equal((await call("POST", `/sessions/${sessionId}/accept`)).status, 200);
  const info = await (await call("GET", `/sessions/${sessionId}`)).json();
  assert.equal(info.callId, "wacid.h1");
  assert.equal(info.from, "1631•••3602");
  const list = await (await call("GET", "/sessions")).json();
  assert.equal(list.sessions.length, 1);
  assert.ok(!JSON.stringify(list).includes("16315553602"));
  const note = await call("POST", `/sessions/${sessionId}/events`, {
    kind: "status",
    status: "ACCEPTED",
  });
  assert.equal(note.status, 200);
  await note.body?.cancel();
  assert.equal(
    (await call("POST", `/sessions/${sessionId}/events`, { kind: "status", status: "x" })).status,
    400,
  );
  const del = await call("DELETE", `/sessions/${sessionId}`, { reason: "caller_hangup" });
  assert.equal(del.status, 200);
  assert.equal((await del.json()).reason, "caller_hangup");
  assert.equal((await call("GET", `/sessions/${sessionId}`)).status, 404);
});

Deno.test("POST /sessions rejects bad bodies and unusable offers with reasons", async () => {
  const { call } = harness();
  const bad = await call("POST", "/sessions", "{not json");
  assert.equal(bad.status, 400);
  const missing = await call("POST", "/sessions", { callId: "x" });
  assert.equal(missing.status, 400);
  assert.ok((await missing.json()).issues.some((i: string) => i.startsWith("sdp")));
  const noOpus = await call("POST", "/sessions", {
    ...offer("wacid.h2"),
    sdp: META_OFFER.replace(/opus/g, "G722"),
  });
  assert.equal(noOpus.status, 400);
  const body = await noOpus.json();
  assert.equal(body.error, "unusable offer");
  assert.ok(body.reasons.some((r: string) => /opus/i.test(r)), body.reasons.join("; "));
  const huge = await call("POST", "/sessions", { ...offer("wacid.h3"), sdp: "x".repeat(200_000) });
  assert.equal(huge.status, 413);
});

Deno.test("POST /sessions returns 503 at capacity or high CPU, and 409 for a duplicate call", async () => {
  const full = harness({ maxSessions: 1 });
  assert.equal((await full.call("POST", "/sessions", offer("wacid.c1"))).status, 201);
  assert.equal((await full.call("POST", "/sessions", offer("wacid.c1"))).status, 409);
  const busy = await full.call("POST", "/sessions", offer("wacid.c2"));
  assert.equal(busy.status, 503);
  assert.equal((await busy.json()).reason, "max_sessions");
  const hot = harness({ cpu: 95 });
  const res = await hot.call("POST", "/sessions", offer("wacid.c3"));
  assert.equal(res.status, 503);
  assert.equal((await res.json()).reason, "cpu");
  await Promise.all(full.manager.list().map((s) => s.end("test", false)));
});

Deno.test("draining refuses new calls and /healthz says so; /metrics is Prometheus text", async () => {
  const { call, app, manager } = harness();
  await call("POST", "/sessions", offer("wacid.d1"));
  const metrics = await (await call("GET", "/metrics")).text();
  assert.match(metrics, /^bridge_sessions_active 1$/m);
  assert.match(metrics, /^# TYPE bridge_inbound_frame_ms histogram$/m);
  assert.match(metrics, /^bridge_pacing_late_ms_bucket{le="5"} \d+$/m);
  await manager.drain(0);
  assert.equal(manager.list().length, 0, "drain ends the calls left");
  assert.equal((await app.request("/healthz")).status, 503);
  const res = await call("POST", "/sessions", offer("wacid.d2"));
  assert.equal(res.status, 503);
  assert.equal((await res.json()).reason, "draining");
});

Deno.test("MAX_CPU_PERCENT=0 turns CPU admission off", async () => {
  const { call } = harness({ cpu: 400 });
  // A manager with 0 must admit at any CPU reading.
  const { manager } = harness({ cpu: 400, maxCpuPercent: 0 });
  const session = await manager.create(offer("wacid.cpu0"));
  assert.equal(manager.list().length, 1);
  assert.equal(
    (await call("POST", "/sessions", offer("wacid.cpu1"))).status,
    503,
    "80 % still refuses at 400 %",
  );
  await session.end("test", false);
});

Deno.test("every body and path parameter is validated: 400 naming the field, never the value", async () => {
  const { call } = harness();
  const { sessionId } = await (await call("POST", "/sessions", offer("wacid.v1"))).json();
  const cases: [string, string, unknown, string][] = [
    ["POST", "/sessions", { ...offer("wacid.v2"), from: 16315553602 }, "from"],
    [
      "POST",
      `/sessions/${sessionId}/events`,
      { kind: "status", status: "hunter2-token" },
      "status",
    ],
    ["POST", `/sessions/${sessionId}/events`, { kind: "hunter2-token" }, "kind"],
    ["DELETE", `/sessions/${sessionId}`, { reason: "hunter2-token".repeat(20) }, "reason"],
    ["GET", `/sessions/${"x".repeat(300)}`, undefined, "id"],
    ["POST", `/sessions/${"x".repeat(300)}/accept`, undefined, "id"],
    ["POST", `/sessions/${sessionId}/connected`, { timeoutMs: 60_000 }, "timeoutMs"],
    ["POST", `/sessions/${sessionId}/connected`, { timeoutMs: -1 }, "timeoutMs"],
  ];
  for (const [method, path, body, field] of cases) {
    const res = await call(method, path, body);
    const text = await res.text();
    assert.equal(res.status, 400, `${method} ${path}: ${text}`);
    const answer = ErrorBodySchema.parse(JSON.parse(text));
    assert.match(answer.error, /^invalid (body|path)$/);
    assert.ok(answer.issues?.some((i) => i.startsWith(`${field}:`)), text);
    assert.doesNotMatch(text, /hunter2|16315553602/);
  }
  for (const path of ["/sessions", `/sessions/${sessionId}/events`, `/sessions/${sessionId}`]) {
    const method = path === `/sessions/${sessionId}` ? "DELETE" : "POST";
    const res = await call(method, path, "{not json");
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.deepEqual(await res.json(), { error: "body is not JSON" });
  }
  const huge = await call("POST", `/sessions/${sessionId}/events`, {
    kind: "connect_answer",
    sdp: "x".repeat(200_000),
  });
  assert.equal(huge.status, 413);
  assert.equal((await call("GET", `/sessions/${sessionId}`)).status, 200, "still there");
});

Deno.test("a failure inside answers a bare 500 and logs it with the call id", async () => {
  const logs = await captureLogs();
  try {
    const { call, manager } = harness();
    const { sessionId } = await (await call("POST", "/sessions", offer("wacid.e1"))).json();
    const session = manager.get(sessionId)!;
    session.accept = () => {
      throw new Error("pg: password authentication failed for user bridge_internal");
    };
    manager.create = () => Promise.reject(new Error("werift: internal socket table corrupt"));
    for (
      const [path, body, callId] of [
        [`/sessions/${sessionId}/accept`, undefined, "wacid.e1"],
        ["/sessions", offer("wacid.e2"), "wacid.e2"],
      ] as const
    ) {
      const res = await call("POST", path, body);
      assert.equal(res.status, 500, path);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { error: "internal error" });
      assert.doesNotMatch(text, /password|bridge_internal|socket table/);
      const line = logs.find("BRIDGE_HTTP_FAILED").find((r) => r.properties.callId === callId);
      assert.match(String(line?.properties.error), /password|socket table/, path);
    }
    await session.end("test", false);
  } finally {
    await logs.stop();
  }
});

Deno.test("the client speaks the app's API: answers parse with the shared schemas", async () => {
  const { app, manager } = harness();
  const client = new BridgeClient({
    baseUrl: "http://bridge.test",
    secret: SECRET,
    fetch: (input, init) => Promise.resolve(app.request(String(input), init)),
  });
  const { sessionId, sdp } = await client.createSession(offer("wacid.k1"));
  assert.equal(sdp, "v=0\r\n");
  assert.deepEqual(await client.acceptSession(sessionId), { sessionId, state: "accepted" });
  const noted = await client.notifySession(sessionId, { kind: "status", status: "ACCEPTED" });
  assert.equal(noted.sessionId, sessionId);
  assert.deepEqual(await client.endSession(sessionId, "meta_terminate"), {
    sessionId,
    state: "ended",
    reason: "meta_terminate",
  });
  assert.equal(manager.list().length, 0);
  const rejected = await client.createSession({ ...offer("wacid.k2"), sdp: "v=0\r\n" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(rejected instanceof BridgeError);
  assert.equal(rejected.failure, "offer_rejected");
});

Deno.test("POST /sessions/:id/connected answers once ICE and DTLS are up, or false once the call ends", async () => {
  const { app, call, peers, scheduler } = harness();
  const client = new BridgeClient({
    baseUrl: "http://bridge.test",
    secret: SECRET,
    fetch: (input, init) => Promise.resolve(app.request(String(input), init)),
  });
  const up = await client.createSession(offer("wacid.w1"));
  const waiting = client.waitConnected(up.sessionId, 5_000);
  peers[0]!.connect();
  assert.deepEqual(await waiting, { sessionId: up.sessionId, state: "answered", connected: true });

  const down = await client.createSession(offer("wacid.w2"));
  const timers = scheduler.pending;
  const abandoned = client.waitConnected(down.sessionId, 5_000);
  // The hang-up must find the wait under way, not overtake its request.
  await until(() => scheduler.pending > timers, 2_000, "the wait to start");
  await client.endSession(down.sessionId, "meta_terminate");
  const ended = await abandoned;
  assert.equal(ended.connected, false);
  assert.ok(ended.state === "ending" || ended.state === "ended", ended.state);
  const gone = await client.waitConnected(down.sessionId, 5_000).catch((e: unknown) => e);
  assert.ok(gone instanceof BridgeError && gone.failure === "not_found");
  await call("DELETE", `/sessions/${up.sessionId}`, {});
});

Deno.test("POST /sessions takes a username caller without a number; the agent gets their context", async () => {
  const logs = await captureLogs();
  try {
    const { call, manager } = harness();
    const { from: _number, ...noNumber } = offer("wacid.u1");
    const res = await call("POST", "/sessions", {
      ...noNumber,
      caller: { userId: "BR.1502576394655843", name: "Pablo Morales", ctaPayload: "y".repeat(900) },
    });
    assert.equal(res.status, 201, "an oversized payload is cut, never a refused call");
    const { sessionId } = await res.json();
    const session = manager.get(sessionId)!;
    assert.equal(session.caller.userId, "BR.1502576394655843");
    assert.equal(session.caller.name, "Pablo Morales");
    assert.equal(session.caller.ctaPayload, "y".repeat(MAX_CALLER_PAYLOAD_CHARS));
    const info = await (await call("GET", `/sessions/${sessionId}`)).json();
    assert.equal(info.fromUserId, "BR.15•••43");
    assert.equal("from" in info, false);
    const started = logs.records.find((r) => r.rawMessage === "VOICE_BRIDGE_SESSION_STARTED");
    assert.equal(started?.properties.fromUserId, "BR.15•••43");
    const everything = JSON.stringify([info, logs.records.map((r) => r.properties)]);
    assert.ok(!everything.includes("BR.1502576394655843"), "the user id is never shown in full");
    await session.end("test", false);
  } finally {
    await logs.stop();
  }
});

Deno.test("DELETE /sessions/:id needs no body, with or without a JSON content type", async () => {
  const { app, call } = harness();
  for (const headers of [{}, { "content-type": "application/json" }]) {
    const { sessionId } = await (await call(
      "POST",
      "/sessions",
      offer(`wacid.d${headers ? 1 : 2}${Object.keys(headers).length}`),
    )).json();
    const res = await app.request(`/sessions/${sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${SECRET}`, ...headers },
    });
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.equal((await res.json()).reason, "hangup");
  }
  // A JSON body is read as JSON whatever its content type says.
  const { sessionId } = await (await call("POST", "/sessions", offer("wacid.d3"))).json();
  const res = await app.request(`/sessions/${sessionId}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "text/plain" },
    body: JSON.stringify({ reason: "caller_hangup" }),
  });
  assert.equal((await res.json()).reason, "caller_hangup");
});
