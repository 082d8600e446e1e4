import assert from "node:assert/strict";
import { DEFAULT_GRAPH_URL, GraphHttp } from "./graph_http.ts";

Deno.test("GraphHttp applies its defaults and trims the base URL", () => {
  const http = new GraphHttp({ accessToken: "t" });
  assert.equal(http.baseUrl, DEFAULT_GRAPH_URL);
  assert.deepEqual([http.timeoutMs, http.retries, http.retryDelayMs], [5000, 2, 200]);
  const custom = new GraphHttp({ accessToken: "t", baseUrl: "http://x/v1//", retries: -3 });
  assert.equal(custom.baseUrl, "http://x/v1");
  assert.equal(custom.retries, 0);
});

Deno.test("exchange sends the bearer token and JSON type, and parses JSON when it is JSON", async () => {
  const seen: Request[] = [];
  const answers = ['{"ok":true}', "<html>proxy</html>"];
  const http = new GraphHttp({
    accessToken: "tok",
    fetch: (input, init) => {
      seen.push(new Request(input, init));
      return Promise.resolve(new Response(answers.shift(), { status: 200 }));
    },
  });
  const a = await http.exchange("http://graph/x", { method: "POST", body: "{}" });
  assert.equal(a.kind, "answer");
  assert.deepEqual(a.kind === "answer" && a.json, { ok: true });
  assert.equal(seen[0]!.headers.get("authorization"), "Bearer tok");
  assert.equal(seen[0]!.headers.get("content-type"), "application/json");
  const b = await http.exchange("http://graph/x", { method: "GET" });
  assert.ok(b.kind === "answer" && b.json === undefined && b.text === "<html>proxy</html>");
});

Deno.test("exchange tells a timeout from a failed request", async () => {
  const slow = new GraphHttp({
    accessToken: "t",
    timeoutMs: 20,
    fetch: (_input, init) =>
      new Promise((_resolve, reject) =>
        init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason))
      ),
  });
  assert.deepEqual(await slow.exchange("http://graph/x", { method: "GET" }), { kind: "timeout" });
  const broken = new GraphHttp({
    accessToken: "t",
    fetch: () => Promise.reject(new TypeError("connection reset")),
  });
  const r = await broken.exchange("http://graph/x", { method: "GET" });
  assert.equal(r.kind, "failed");
  assert.ok(r.kind === "failed" && r.error instanceof TypeError);
});

Deno.test("redact hides every copy of the token, and nothing when there is none", () => {
  assert.equal(
    new GraphHttp({ accessToken: "s3cr" }).redact("a s3cr b s3cr"),
    "a [redacted] b [redacted]",
  );
  assert.equal(new GraphHttp({ accessToken: "" }).redact("abc"), "abc");
});
