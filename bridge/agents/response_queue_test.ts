import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { RealtimeResponse, ServerError } from "../../lib/realtime/server_events.ts";
import type { ResponseParams } from "../../lib/realtime/session.ts";
import { type ResponseFailure, ResponseQueue, retryAfterMs } from "./response_queue.ts";
import { FakeTimers } from "./_test_utils.ts";

function setup() {
  const sent: ResponseParams[] = [];
  const state = { ready: true };
  const timers = new FakeTimers();
  const gaveUp: ResponseFailure[] = [];
  const queue = new ResponseQueue({
    send: (params) => {
      sent.push(params);
      return `evt_${sent.length}`;
    },
    ready: () => state.ready,
    timers,
    maxAttempts: 3,
    retryMs: 500,
    createTimeoutMs: 5000,
    onGiveUp: (f) => gaveUp.push(f),
    logger: getLogger(["test"]),
  });
  const purposes = () => sent.map((p) => p.metadata?.purpose);
  return { queue, sent, state, purposes, timers, gaveUp };
}

const response = (
  id: string,
  purpose?: string,
  status: RealtimeResponse["status"] = "in_progress",
): RealtimeResponse => ({ id, status, ...(purpose ? { metadata: { purpose } } : {}) });

const refusal = (eventId: string, code: string, message = "refused"): ServerError => ({
  type: "invalid_request_error",
  code,
  message,
  event_id: eventId,
});
const activeRefusal = (eventId: string) =>
  refusal(eventId, "conversation_already_has_active_response");

Deno.test("response queue: a create waits while another is in flight, and asks for audio", () => {
  const { queue, sent, purposes } = setup();
  queue.request("greeting", "Greet.");
  queue.request("dtmf");
  assert.deepEqual(purposes(), ["greeting"]);
  assert.deepEqual(sent[0], {
    output_modalities: ["audio"],
    metadata: { purpose: "greeting" },
    instructions: "Greet.",
  });
  assert.equal(queue.has("dtmf"), true);
  assert.equal(queue.has("greeting"), false, "sent, no longer waiting");
});

Deno.test("response queue: response.done of the active response releases the next", () => {
  const { queue, purposes } = setup();
  queue.request("greeting");
  queue.request("tool");
  queue.created(response("resp_1", "greeting"));
  assert.equal(queue.active, "resp_1");
  assert.deepEqual(purposes(), ["greeting"], "our create landed but its response is active");
  queue.done(response("resp_other", undefined, "completed"));
  assert.deepEqual(purposes(), ["greeting"], "another response's done releases nothing");
  queue.done(response("resp_1", "greeting", "completed"));
  assert.equal(queue.active, null);
  assert.deepEqual(purposes(), ["greeting", "tool"]);
});

Deno.test("response queue: a create refused for an active response is re-queued first", () => {
  const { queue, sent, purposes, gaveUp } = setup();
  queue.request("greeting", "Greet.");
  queue.request("dtmf");
  queue.created(response("resp_vad")); // the server's VAD turn got there first
  assert.equal(queue.refused(activeRefusal("evt_1")), true);
  assert.deepEqual(purposes(), ["greeting"]);
  queue.done(response("resp_vad", undefined, "completed"));
  assert.deepEqual(purposes(), ["greeting", "greeting"]);
  assert.deepEqual(sent[1], sent[0]);
  queue.created(response("resp_2", "greeting"));
  queue.done(response("resp_2", "greeting", "completed"));
  assert.deepEqual(purposes(), ["greeting", "greeting", "dtmf"]);
  assert.deepEqual(gaveUp, [], "a busy conversation is no failure");
});

Deno.test("response queue: an error answering our create fails it, and it is retried after a wait", async () => {
  const { queue, purposes, timers } = setup();
  queue.request("greeting");
  queue.request("tool");
  assert.equal(queue.refused(refusal("evt_9", "server_error")), false, "not our create's id");
  assert.equal(queue.refused(refusal("evt_1", "server_error")), true);
  // The tool request goes first; the failed greeting waits for its retry.
  assert.deepEqual(purposes(), ["greeting", "tool"]);
  assert.equal(queue.has("greeting"), true, "waiting for its retry");
  queue.created(response("resp_t", "tool"));
  queue.done(response("resp_t", "tool", "completed"));
  await timers.advance(499);
  assert.deepEqual(purposes(), ["greeting", "tool"]);
  await timers.advance(1);
  assert.deepEqual(purposes(), ["greeting", "tool", "greeting"]);
});

Deno.test("response queue: a failed response is retried with a doubling wait, then given up", async () => {
  const { queue, purposes, timers, gaveUp } = setup();
  queue.request("greeting");
  for (const [attempt, wait] of [[1, 500], [2, 1000]] as const) {
    queue.created(response(`resp_${attempt}`, "greeting"));
    queue.done(response(`resp_${attempt}`, "greeting", "failed"), "failed: server_error");
    await timers.advance(wait - 1);
    assert.equal(purposes().length, attempt, `no retry before ${wait} ms`);
    await timers.advance(1);
    assert.equal(purposes().length, attempt + 1);
  }
  queue.created(response("resp_3", "greeting"));
  queue.done(response("resp_3", "greeting", "failed"), "failed: server_error");
  assert.deepEqual(gaveUp, [{ purpose: "greeting", attempts: 3, reason: "failed: server_error" }]);
  await timers.advance(60_000);
  assert.equal(purposes().length, 3, "no fourth try");
  assert.equal(timers.pending, 0);
});

Deno.test("response queue: a failed response the server's VAD started is retried as a reply", async () => {
  const { queue, purposes, timers } = setup();
  queue.created(response("resp_vad"));
  queue.done(response("resp_vad", undefined, "failed"), "failed: rate_limit_exceeded");
  await timers.advance(500);
  assert.deepEqual(purposes(), ["reply"]);
});

Deno.test("response queue: a rate limit's 'try again in' sets the wait (at most 10 s)", async () => {
  const { queue, purposes, timers } = setup();
  queue.request("tool");
  queue.created(response("resp_1", "tool"));
  queue.done({
    ...response("resp_1", "tool", "failed"),
    status_details: {
      type: "failed",
      error: { type: "tokens", code: "rate_limit_exceeded", message: "Please try again in 2.5s." },
    },
  }, "failed: rate_limit_exceeded");
  await timers.advance(2499);
  assert.equal(purposes().length, 1);
  await timers.advance(1);
  assert.equal(purposes().length, 2);
  assert.equal(retryAfterMs("Rate limit reached … Please try again in 6.946s."), 6946);
  assert.equal(retryAfterMs("Please try again in 10ms."), 10);
  assert.equal(retryAfterMs("nothing here"), null);
});

Deno.test("response queue: a create nobody answers fails after the timeout", async () => {
  const { queue, purposes, timers } = setup();
  queue.request("greeting");
  await timers.advance(4999);
  assert.deepEqual(purposes(), ["greeting"]);
  await timers.advance(1 + 500);
  assert.deepEqual(purposes(), ["greeting", "greeting"], "retried after the timeout and the wait");
  queue.created(response("resp_2", "greeting"));
  await timers.advance(60_000);
  assert.equal(purposes().length, 2, "an answered create has no timeout");
});

Deno.test("response queue: nothing is sent until the session is ready", () => {
  const { queue, state, purposes } = setup();
  state.ready = false;
  queue.request("greeting");
  assert.deepEqual(purposes(), []);
  state.ready = true;
  queue.pump();
  assert.deepEqual(purposes(), ["greeting"]);
});

Deno.test("response queue: a drop forgets the active response but sends the in-flight create again", () => {
  const { queue, state, purposes } = setup();
  queue.request("greeting");
  queue.request("dtmf");
  state.ready = false;
  queue.dropped();
  assert.equal(queue.active, null);
  assert.equal(queue.has("greeting"), true);
  assert.equal(queue.has("dtmf"), true);
  state.ready = true;
  queue.pump();
  assert.deepEqual(purposes(), ["greeting", "greeting"]);
});

Deno.test("response queue: close cancels pending retries", async () => {
  const { queue, purposes, timers } = setup();
  queue.request("greeting");
  queue.refused(refusal("evt_1", "server_error"));
  queue.close();
  assert.equal(timers.pending, 0);
  await timers.advance(10_000);
  assert.deepEqual(purposes(), ["greeting"]);
});
