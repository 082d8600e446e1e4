import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { SessionManager } from "../session/session_manager.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { createApp } from "./app.ts";
import { bearerMatches } from "../../lib/auth/secret.ts";

const SECRET = "s3cret-s3cret-s3cret";

function harness(opts: { maxSessions?: number; cpu?: number; maxCpuPercent?: number } = {}) {
  const scheduler = new ManualScheduler();
  const manager = new SessionManager({
    maxSessions: opts.maxSessions ?? 10,
    maxCpuPercent: opts.maxCpuPercent ?? 80,
    cpuPercent: () => opts.cpu ?? 5,
    deps: {
      createPeer: () => Promise.resolve(new FakePeer(scheduler)),
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
  return { app, manager, call };
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
