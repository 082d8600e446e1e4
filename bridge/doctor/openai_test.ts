import assert from "node:assert/strict";
import { checkOpenAi, openAiRow } from "./openai.ts";
import { FakeRealtimeServer } from "../../tests/fakes/openai_realtime.ts";
import { renderTable } from "./check.ts";

const MODEL = "gpt-realtime-2.1";
const settings = (fake: FakeRealtimeServer, apiKey: string, model = MODEL) => ({
  agent: "openai" as const,
  apiKey,
  url: fake.url,
  model,
});

Deno.test("doctor openai: the handshake reaches session.created with the right key and model", async () => {
  const fake = FakeRealtimeServer.start({ models: [MODEL] });
  try {
    const row = await checkOpenAi(settings(fake, "sk-test"), { timeoutMs: 3000 });
    assert.equal(row.status, "ok", row.detail);
    assert.match(row.detail, /session\.created for gpt-realtime-2\.1/);
    assert.match(fake.urls[0]!, /\?model=gpt-realtime-2\.1$/);
  } finally {
    await fake.close();
  }
});

Deno.test("doctor openai: a wrong key refused at the handshake (HTTP 401) is 'wrong key'", async () => {
  const fake = FakeRealtimeServer.start();
  try {
    const row = await checkOpenAi(settings(fake, "sk-wrong-key-0123456789"), { timeoutMs: 3000 });
    assert.equal(row.status, "fail");
    assert.match(row.detail, /wrong key/);
    assert.match(row.fix!, /OPENAI_API_KEY/);
    assert.doesNotMatch(renderTable([row]), /sk-wrong-key-0123456789/);
  } finally {
    await fake.close();
  }
});

Deno.test("doctor openai: a wrong key refused after the handshake (error, close 3000) is 'wrong key'", async () => {
  const fake = FakeRealtimeServer.start({ wrongKey: "event" });
  try {
    const row = await checkOpenAi(settings(fake, "sk-wrong-key-0123456789"), { timeoutMs: 3000 });
    assert.equal(row.status, "fail");
    assert.match(row.detail, /wrong key: Incorrect API key provided/);
    assert.match(row.fix!, /OPENAI_API_KEY/);
  } finally {
    await fake.close();
  }
});

Deno.test("doctor openai: an unknown or retired model is named, with the model fix", async () => {
  const fake = FakeRealtimeServer.start({ models: [MODEL] });
  try {
    const row = await checkOpenAi(settings(fake, "sk-test", "gpt-4o-realtime-preview"), {
      timeoutMs: 3000,
    });
    assert.equal(row.status, "fail");
    assert.match(row.detail, /does not exist or you do not have access/);
    assert.match(row.fix!, /OPENAI_REALTIME_MODEL=gpt-4o-realtime-preview is retired or unknown/);
  } finally {
    await fake.close();
  }
});

Deno.test("doctor openai: a refused connection and a silent endpoint are 'blocked network'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // Accepts TCP and never answers the upgrade: a firewall that black-holes TLS looks the same.
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of listener) held.push(c);
  })().catch(() => {});
  try {
    const silent = await checkOpenAi(
      { agent: "openai", apiKey: "sk-x", url: `ws://127.0.0.1:${port}/v1/realtime`, model: MODEL },
      { timeoutMs: 300 },
    );
    assert.equal(silent.status, "fail");
    assert.match(silent.detail, /no answer from 127\.0\.0\.1:\d+ in \d+ ms/);
    assert.match(silent.fix!, /blocks the Realtime API/);
  } finally {
    listener.close();
    for (const c of held) c.close();
  }
  const refused = await checkOpenAi(
    { agent: "openai", apiKey: "sk-x", url: `ws://127.0.0.1:${port}/v1/realtime`, model: MODEL },
    { timeoutMs: 2000 },
  );
  assert.equal(refused.status, "fail");
  assert.match(refused.detail, /cannot connect/);
  assert.match(refused.fix!, /blocks the Realtime API/);
});

Deno.test("doctor openai: skipped for the echo agent and without a key", async () => {
  const echo = await checkOpenAi(
    { agent: "echo", apiKey: undefined, url: "ws://x", model: MODEL },
    {
      timeoutMs: 10,
    },
  );
  assert.deepEqual([echo.status, echo.detail], ["skip", "AGENT=echo: OpenAI is not used"]);
});

Deno.test("doctor openai: each outcome maps to its fix; the key is blanked from what OpenAI said", () => {
  const ctx = { url: "wss://api.openai.com/v1/realtime", model: MODEL, secret: "sk-secret-123" };
  const quoted = openAiRow(
    { kind: "error_event", code: "invalid_api_key", message: "bad key sk-secret-123" },
    ctx,
  );
  assert.doesNotMatch(quoted.detail, /sk-secret-123/);
  assert.match(openAiRow({ kind: "http", status: 404 }, ctx).fix!, /retired or unknown/);
  assert.match(openAiRow({ kind: "http", status: 403 }, ctx).fix!, /Realtime API or this model/);
  assert.match(openAiRow({ kind: "http", status: 429 }, ctx).fix!, /quota/);
  assert.match(
    openAiRow({ kind: "closed", code: 4000, reason: "beta" }, ctx).fix!,
    /OpenAI-Beta/,
  );
});
