import assert from "node:assert/strict";
import {
  endCallReason,
  endCallResult,
  executeTool,
  parseToolArguments,
  runTool,
  sessionTools,
  type ToolDefinition,
  toolOutput,
} from "./tools.ts";
import { FakeTimers, settle } from "./_test_utils.ts";

const def: ToolDefinition = {
  name: "lookup",
  description: "Look up",
  parameters: { type: "object" },
  url: "https://tools.example/lookup",
};
const call = { name: "lookup", arguments: '{"id":7}', callId: "call_1" };

/** A fetch that never answers until its signal aborts. */
const hang: typeof fetch = (_u, init) =>
  new Promise((_r, reject) =>
    init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
  );

Deno.test("sessionTools declares the configured tools plus end_call", () => {
  const tools = sessionTools([def]);
  assert.deepEqual(tools.map((t) => t.name), ["lookup", "end_call"]);
  assert.deepEqual(tools[0], {
    type: "function",
    name: "lookup",
    description: "Look up",
    parameters: { type: "object" },
  });
});

Deno.test("parseToolArguments accepts a JSON object (or nothing) and names what else is wrong", () => {
  assert.deepEqual(parseToolArguments('{"a":1}'), { ok: true, value: { a: 1 } });
  assert.deepEqual(parseToolArguments(""), { ok: true, value: {} });
  assert.deepEqual(parseToolArguments("[1]"), {
    ok: false,
    error: "arguments must be a JSON object",
  });
  assert.deepEqual(parseToolArguments("{"), { ok: false, error: "arguments are not valid JSON" });
});

Deno.test("endCallReason reads the reason argument or defaults", () => {
  assert.equal(endCallReason(parseToolArguments('{"reason":" done "}')), "done");
  assert.equal(endCallReason(parseToolArguments("{}")), "agent_end_call");
  assert.equal(endCallReason(parseToolArguments("not json")), "agent_end_call");
});

Deno.test("toolOutput: the model reads an ok output verbatim and a failure as {error}", () => {
  assert.equal(toolOutput({ ok: true, output: "shipped" }), "shipped");
  assert.equal(toolOutput({ ok: false, error: "HTTP 500: boom" }), '{"error":"HTTP 500: boom"}');
  assert.equal(toolOutput(endCallResult), '{"ok":true}');
});

Deno.test("executeTool POSTs the call and returns the body as an ok result", async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetch: typeof globalThis.fetch = (url, init) => {
    seen = { url: String(url), init: init! };
    return Promise.resolve(new Response('{"ok":1}'));
  };
  assert.deepEqual(await executeTool(def, call, { fetch }), { ok: true, output: '{"ok":1}' });
  assert.equal(seen?.url, def.url);
  assert.equal(seen?.init.method, "POST");
  assert.deepEqual(JSON.parse(String(seen?.init.body)), {
    name: "lookup",
    arguments: { id: 7 },
    call_id: "call_1",
    callId: "call_1",
  });
});

Deno.test("executeTool: success is the HTTP status, not the look of the body", async () => {
  const body = '{"error":"no such order"}';
  const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response(body));
  assert.deepEqual(await executeTool(def, call, { fetch }), { ok: true, output: body });
});

Deno.test("executeTool turns failures into error results", async () => {
  const status: typeof fetch = () => Promise.resolve(new Response("boom", { status: 500 }));
  assert.deepEqual(await executeTool(def, call, { fetch: status }), {
    ok: false,
    error: "HTTP 500: boom",
  });
  const network: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
  assert.deepEqual(await executeTool(def, call, { fetch: network }), {
    ok: false,
    error: "connection refused",
  });
  let called = false;
  const never: typeof fetch = () => {
    called = true;
    return Promise.resolve(new Response());
  };
  const bad = await executeTool(def, { ...call, arguments: "[1]" }, { fetch: never });
  assert.deepEqual(bad, { ok: false, error: "arguments must be a JSON object" });
  assert.equal(called, false);
});

Deno.test("executeTool times out on the injected timers and leaves none pending", async () => {
  const timers = new FakeTimers();
  const result = executeTool(def, call, { fetch: hang, timeoutMs: 8000, timers });
  await timers.advance(7999);
  assert.equal(timers.pending, 1);
  await timers.advance(1);
  assert.deepEqual(await result, { ok: false, error: "timeout after 8000 ms" });
  assert.equal(timers.pending, 0);
  const fast: typeof fetch = () => Promise.resolve(new Response("ok"));
  await executeTool(def, call, { fetch: fast, timers });
  assert.equal(timers.pending, 0, "the timeout is cleared once the tool answered");
});

Deno.test("executeTool: the call's signal aborts the request", async () => {
  const timers = new FakeTimers();
  const ended = new AbortController();
  const result = executeTool(def, call, { fetch: hang, signal: ended.signal, timers });
  await settle();
  ended.abort(new Error("call over"));
  assert.deepEqual(await result, { ok: false, error: "call over" });
  assert.equal(timers.pending, 0);
});

Deno.test("executeTool caps long outputs", async () => {
  const big: typeof fetch = () => Promise.resolve(new Response("x".repeat(100)));
  assert.deepEqual(await executeTool(def, call, { fetch: big, maxOutputChars: 10 }), {
    ok: true,
    output: "x".repeat(10),
  });
});

Deno.test("runTool: a name that is not configured is an error result, with no request", async () => {
  const never: typeof fetch = () => Promise.reject(new Error("must not fetch"));
  assert.deepEqual(await runTool([def], { ...call, name: "nope" }, { fetch: never }), {
    ok: false,
    error: "unknown tool: nope",
  });
  const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response("found"));
  assert.deepEqual(await runTool([def], call, { fetch }), { ok: true, output: "found" });
});
