import assert from "node:assert/strict";
import { endCallReason, executeTool, sessionTools, type ToolDefinition } from "./tools.ts";

const def: ToolDefinition = {
  name: "lookup",
  description: "Look up",
  parameters: { type: "object" },
  url: "https://tools.example/lookup",
};
const call = { name: "lookup", arguments: '{"id":7}', callId: "call_1" };

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

Deno.test("endCallReason reads the reason argument or defaults", () => {
  assert.equal(endCallReason('{"reason":" done "}'), "done");
  assert.equal(endCallReason("{}"), "agent_end_call");
  assert.equal(endCallReason("not json"), "agent_end_call");
});

Deno.test("executeTool POSTs the call and returns the body", async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetch: typeof globalThis.fetch = (url, init) => {
    seen = { url: String(url), init: init! };
    return Promise.resolve(new Response('{"ok":1}'));
  };
  assert.equal(await executeTool(def, call, { fetch }), '{"ok":1}');
  assert.equal(seen?.url, def.url);
  assert.equal(seen?.init.method, "POST");
  assert.deepEqual(JSON.parse(String(seen?.init.body)), {
    name: "lookup",
    arguments: { id: 7 },
    call_id: "call_1",
    callId: "call_1",
  });
});

Deno.test("executeTool turns failures into {error} outputs", async () => {
  const status: typeof fetch = () => Promise.resolve(new Response("boom", { status: 500 }));
  assert.deepEqual(JSON.parse(await executeTool(def, call, { fetch: status })), {
    error: "HTTP 500: boom",
  });
  const network: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
  assert.deepEqual(JSON.parse(await executeTool(def, call, { fetch: network })), {
    error: "connection refused",
  });
  const hang: typeof fetch = (_u, init) =>
    new Promise((_r, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
    );
  assert.deepEqual(JSON.parse(await executeTool(def, call, { fetch: hang, timeoutMs: 20 })), {
    error: "timeout after 20 ms",
  });
  let called = false;
  const never: typeof fetch = () => {
    called = true;
    return Promise.resolve(new Response());
  };
  const bad = await executeTool(def, { ...call, arguments: "[1]" }, { fetch: never });
  assert.deepEqual(JSON.parse(bad), { error: "arguments must be a JSON object" });
  assert.equal(called, false);
});

Deno.test("executeTool caps long outputs", async () => {
  const big: typeof fetch = () => Promise.resolve(new Response("x".repeat(100)));
  assert.equal((await executeTool(def, call, { fetch: big, maxOutputChars: 10 })).length, 10);
});
