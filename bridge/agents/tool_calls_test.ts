import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { answerFunctionCall, type ToolCallHost } from "./tool_calls.ts";

function host(current: boolean, fetch: typeof globalThis.fetch) {
  const sent: unknown[] = [];
  const events: string[] = [];
  const hangups: string[] = [];
  let followUps = 0;
  const h: ToolCallHost = {
    ctx: { onEvent: (name) => events.push(name), requestHangup: (r) => hangups.push(r) },
    log: getLogger(["test"]),
    clock: () => 0,
    send: (e) => sent.push(e),
    current: () => current,
    tools: [{ name: "lookup", description: "", parameters: {}, url: "http://127.0.0.1:9/x" }],
    run: { fetch },
    followUp: () => followUps++,
  };
  return { h, sent, events, hangups, followUps: () => followUps };
}

Deno.test("tool calls: a result is sent and spoken; one for a replaced session is dropped", async () => {
  const ok = () => Promise.resolve(new Response('{"status":"shipped"}'));
  const live = host(true, ok);
  await answerFunctionCall(live.h, { name: "lookup", arguments: "{}", callId: "c1" });
  assert.deepEqual(live.sent, [{
    type: "conversation.item.create",
    item: { type: "function_call_output", call_id: "c1", output: '{"status":"shipped"}' },
  }]);
  assert.equal(live.followUps(), 1);
  const gone = host(false, ok);
  await answerFunctionCall(gone.h, { name: "lookup", arguments: "{}", callId: "c2" });
  assert.deepEqual([gone.sent, gone.events, gone.followUps()], [[], [], 0]);
});

Deno.test("tool calls: end_call answers, then asks for the hang-up with its reason, no follow-up", async () => {
  const t = host(true, () => Promise.reject(new Error("unused")));
  await answerFunctionCall(t.h, { name: "end_call", arguments: '{"reason":"done"}', callId: "c3" });
  assert.equal(t.sent.length, 1);
  assert.deepEqual(t.hangups, ["done"]);
  assert.equal(t.followUps(), 0);
});
