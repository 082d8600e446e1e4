import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { KnownServerEvent } from "../../lib/realtime/server_events.ts";
import type { SessionConfig } from "../../lib/realtime/session.ts";
import {
  type ConnectionHandlers,
  RealtimeConnection,
  type RealtimeConnectionOptions,
  reconnectDelayMs,
} from "./realtime_connection.ts";
import { FakeSocket, FakeTimers, settle } from "./_test_utils.ts";

const SESSION: SessionConfig = { type: "realtime", model: "gpt-realtime" };

function setup(options: Partial<RealtimeConnectionOptions> = {}) {
  const timers = new FakeTimers();
  const sockets: FakeSocket[] = [];
  const opened: { url: string; at: number }[] = [];
  const calls: string[] = [];
  const events: KnownServerEvent[] = [];
  const fatals: string[] = [];
  const handlers: ConnectionHandlers = {
    session: () => SESSION,
    onReopen: () => calls.push(`reopen after ${sockets.at(-1)!.sent.map((f) => f.type)}`),
    onEvent: (e) => events.push(e),
    onDrop: () => calls.push("drop"),
    onReconnected: (attempt, downMs) => calls.push(`reconnected ${attempt} ${downMs}`),
    onFatal: (message) => fatals.push(message),
  };
  const conn = new RealtimeConnection({
    url: "wss://realtime.test/v1/realtime",
    model: "gpt-realtime",
    apiKey: "sk-test",
    webSocketFactory: (url) => {
      const socket = new FakeSocket();
      sockets.push(socket);
      opened.push({ url, at: timers.now() });
      return socket;
    },
    clock: timers.now,
    timers,
    connectTimeoutMs: 4000,
    reconnectWithinMs: 2000,
    maxReconnectAttempts: 3,
    logger: getLogger(["test"]),
    ...options,
  }, handlers);
  const last = () => sockets[sockets.length - 1]!;
  return { conn, timers, sockets, opened, calls, events, fatals, last };
}

/** A connection past its handshake. */
async function ready(options: Partial<RealtimeConnectionOptions> = {}) {
  const s = setup(options);
  const open = s.conn.open();
  s.last().accept();
  await open;
  return s;
}

Deno.test("reconnectDelayMs: immediate, then a quarter of the budget, then the budget, then 4x", () => {
  assert.deepEqual([1, 2, 3, 4].map((a) => reconnectDelayMs(a, 2000)), [0, 500, 2000, 8000]);
});

Deno.test("connection: open sends session.update first and resolves on session.updated", async () => {
  const { conn, last, opened, timers } = setup();
  const open = conn.open();
  assert.equal(conn.state, "connecting");
  assert.equal(opened[0]!.url, "wss://realtime.test/v1/realtime?model=gpt-realtime");
  last().open();
  assert.deepEqual(last().sent, [{ type: "session.update", session: SESSION, event_id: "evt_1" }]);
  last().receive({ type: "session.updated", session: {} });
  await open;
  assert.equal(conn.state, "ready");
  assert.equal(timers.pending, 0, "the connect timeout is cleared");
});

Deno.test("connection: events after the handshake reach the owner; unknown and malformed ones do not", async () => {
  const { last, events } = await ready();
  last().receive({ type: "rate_limits.updated", rate_limits: [] });
  last().receive({ type: "response.future_event" });
  last().receive({ type: "response.created" }); // no response: malformed
  assert.deepEqual(events.map((e) => e.type), ["rate_limits.updated"]);
});

Deno.test("connection: open rejects, fatally, when the service refuses the session.update", async () => {
  const { conn, last, timers } = setup();
  const open = conn.open();
  last().open();
  last().receive({
    type: "error",
    error: { type: "invalid_request_error", message: "bad voice", event_id: "evt_1" },
  });
  await assert.rejects(open, { name: "ConnectError", fatal: true, message: /bad voice/ });
  assert.equal(conn.state, "closed");
  await settle();
  assert.equal(last().readyState, WebSocket.CLOSED);
  assert.equal(last().listeners, 0);
  assert.equal(timers.pending, 0);
});

Deno.test("connection: open rejects when no session.updated comes in time", async () => {
  const { conn, last, timers } = setup();
  const open = conn.open();
  last().open();
  const rejected = assert.rejects(open, /no session.updated within 4000 ms/);
  await timers.advance(4000);
  await rejected;
  await settle();
  assert.equal(last().listeners, 0);
  assert.equal(timers.pending, 0);
});

Deno.test("connection: a drop reconnects at once and re-sends the conversation after session.update", async () => {
  const { conn, sockets, last, calls, timers } = await ready();
  sockets[0]!.drop(1006, "gone");
  assert.deepEqual(calls, ["drop"]);
  assert.equal(conn.state, "reconnecting");
  assert.equal(sockets.length, 2, "the first retry is immediate");
  await timers.advance(120);
  last().open();
  assert.deepEqual(calls, ["drop", "reopen after session.update"]);
  last().receive({ type: "session.updated", session: {} });
  await settle();
  assert.equal(conn.state, "ready");
  assert.deepEqual(calls, ["drop", "reopen after session.update", "reconnected 1 120"]);
  assert.equal(timers.pending, 0);
});

Deno.test("connection: reconnect attempts follow the budget, then give up", async () => {
  const { conn, sockets, opened, last, fatals, timers } = await ready();
  sockets[0]!.drop(1006);
  for (let i = 0; i < 3; i++) {
    await settle();
    last().drop(1006); // the handshake fails
    await timers.advance(reconnectDelayMs(i + 2, 2000));
  }
  assert.deepEqual(opened.map((o) => o.at), [0, 0, 500, 2500]);
  assert.deepEqual(fatals, ["OpenAI Realtime reconnect failed after 3 attempts"]);
  assert.equal(conn.state, "closed");
  assert.equal(timers.pending, 0);
});

Deno.test("connection: a 401 while reconnecting is fatal at once", async () => {
  const { sockets, last, fatals, timers } = await ready();
  sockets[0]!.drop(1006);
  last().refuse("Received HTTP 401 Unauthorized");
  await settle();
  assert.equal(fatals.length, 1);
  assert.match(fatals[0]!, /^reconnect: .*401/);
  await timers.advance(10_000);
  assert.equal(sockets.length, 2, "no further attempt");
});

Deno.test("connection: close code 4000 is fatal, not retried", async () => {
  const { sockets, fatals, calls } = await ready();
  sockets[0]!.drop(4000, "beta_api_shape_disabled");
  assert.deepEqual(calls, ["drop"]);
  assert.deepEqual(fatals, [
    "OpenAI Realtime closed the session with 4000: beta_api_shape_disabled",
  ]);
  assert.equal(sockets.length, 1);
});

Deno.test("connection: close during a reconnect backoff leaves no timer and no attempt", async () => {
  const { conn, sockets, last, fatals, timers } = await ready();
  sockets[0]!.drop(1006);
  last().drop(1006); // attempt 1 fails; attempt 2 waits 500 ms
  await settle();
  assert.equal(timers.pending, 1);
  await conn.close("hang-up");
  assert.equal(timers.pending, 0);
  await timers.advance(10_000);
  assert.equal(sockets.length, 2);
  assert.deepEqual(fatals, []);
  assert.equal(conn.state, "closed");
});

Deno.test("connection: close during the handshake rejects open and detaches everything", async () => {
  const { conn, last, timers } = setup();
  const open = conn.open();
  last().open();
  const rejected = assert.rejects(open, /closed: hang-up/);
  await conn.close("hang-up");
  await rejected;
  assert.equal(last().readyState, WebSocket.CLOSED);
  assert.equal(last().listeners, 0);
  assert.equal(timers.pending, 0);
});

Deno.test("connection: close shuts the socket, detaches its listeners, stops sending; idempotent", async () => {
  const { conn, last, events, calls, timers } = await ready();
  const generation = conn.generation;
  await conn.close("hang-up");
  assert.equal(last().readyState, WebSocket.CLOSED);
  assert.equal(last().listeners, 0);
  assert.equal(timers.pending, 0);
  assert.notEqual(conn.generation, generation);
  assert.equal(conn.send({ type: "input_audio_buffer.clear" }), null);
  assert.deepEqual(calls, [], "our own close is not a drop");
  await conn.close("again");
  assert.deepEqual(events, []);
});
