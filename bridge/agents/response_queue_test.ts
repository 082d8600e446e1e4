import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { RealtimeResponse, ResponseParams, ServerError } from "../../lib/realtime/events.ts";
import { ResponseQueue } from "./response_queue.ts";

function setup() {
  const sent: ResponseParams[] = [];
  const state = { ready: true };
  const queue = new ResponseQueue({
    send: (params) => {
      sent.push(params);
      return `evt_${sent.length}`;
    },
    ready: () => state.ready,
    logger: getLogger(["test"]),
  });
  const purposes = () => sent.map((p) => p.metadata?.purpose);
  return { queue, sent, state, purposes };
}

const response = (id: string, purpose?: string): RealtimeResponse => ({
  id,
  status: "in_progress",
  ...(purpose ? { metadata: { purpose } } : {}),
});

const activeRefusal = (eventId: string): ServerError => ({
  type: "invalid_request_error",
  code: "conversation_already_has_active_response",
  message: "Conversation already has an active response in progress",
  event_id: eventId,
});

Deno.test("response queue: a create waits while another is in flight", () => {
  const { queue, sent, purposes } = setup();
  queue.request("greeting", "Greet.");
  queue.request("dtmf");
  assert.deepEqual(purposes(), ["greeting"]);
  assert.deepEqual(sent[0], { metadata: { purpose: "greeting" }, instructions: "Greet." });
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
  queue.done("resp_other");
  assert.deepEqual(purposes(), ["greeting"], "another response's done releases nothing");
  queue.done("resp_1");
  assert.equal(queue.active, null);
  assert.deepEqual(purposes(), ["greeting", "tool"]);
});

Deno.test("response queue: a create refused for an active response is re-queued first", () => {
  const { queue, sent, purposes } = setup();
  queue.request("greeting", "Greet.");
  queue.request("dtmf");
  queue.created(response("resp_vad")); // the server's VAD turn got there first
  assert.equal(queue.refused(activeRefusal("evt_1")), true);
  assert.deepEqual(purposes(), ["greeting"]);
  queue.done("resp_vad");
  assert.deepEqual(purposes(), ["greeting", "greeting"]);
  assert.deepEqual(sent[1], sent[0]);
  queue.created(response("resp_2", "greeting"));
  queue.done("resp_2");
  assert.deepEqual(purposes(), ["greeting", "greeting", "dtmf"]);
});

Deno.test("response queue: other errors are not refusals of our create", () => {
  const { queue, purposes } = setup();
  queue.request("greeting");
  queue.request("tool");
  assert.equal(queue.refused(activeRefusal("evt_9")), false, "not our create's event id");
  assert.equal(queue.refused({ ...activeRefusal("evt_1"), code: "invalid_value" }), false);
  queue.created(response("resp_1", "greeting"));
  queue.done("resp_1");
  assert.deepEqual(purposes(), ["greeting", "tool"], "nothing was re-queued");
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

Deno.test("response queue: reset forgets the active response and what waited", () => {
  const { queue, purposes } = setup();
  queue.request("greeting");
  queue.request("dtmf");
  queue.created(response("resp_1", "greeting"));
  queue.reset();
  assert.equal(queue.active, null);
  assert.equal(queue.has("dtmf"), false);
  queue.request("tool");
  assert.deepEqual(purposes(), ["greeting", "tool"]);
});
