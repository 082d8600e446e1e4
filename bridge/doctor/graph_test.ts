import assert from "node:assert/strict";
import { checkGraph } from "./graph.ts";
import { renderTable } from "./check.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";

const TOKEN = "EAAG-sandbox-token-0123456789";

async function withGraph(fn: (url: string) => Promise<void>) {
  const fake = new FakeMetaGraph({ accessToken: TOKEN });
  const server = await fake.start();
  try {
    await fn(server.url);
  } finally {
    await server.close();
  }
}

Deno.test("doctor graph: a valid token and number id pass, the number masked", async () => {
  await withGraph(async (graphUrl) => {
    const row = await checkGraph(
      { graphUrl, token: TOKEN, phoneNumberId: DEFAULT_BUSINESS.phoneNumberId },
      { timeoutMs: 3000 },
    );
    assert.equal(row.status, "ok", row.detail);
    assert.match(row.detail, /is \+1631•••3601 "Sandbox Business"/);
    const text = renderTable([row]);
    assert.doesNotMatch(text, new RegExp(DEFAULT_BUSINESS.displayPhoneNumber));
    assert.doesNotMatch(text, new RegExp(DEFAULT_BUSINESS.phoneNumberId));
  });
});

Deno.test("doctor graph: a bad token is Graph error 190 with the token fix, never printed", async () => {
  await withGraph(async (graphUrl) => {
    const row = await checkGraph(
      {
        graphUrl,
        token: "EAAG-expired-token-9876543210",
        phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      },
      { timeoutMs: 3000 },
    );
    assert.equal(row.status, "fail");
    assert.match(row.detail, /Graph error 190 \(HTTP 401\): Invalid OAuth access token/);
    assert.match(row.fix!, /WHATSAPP_ACCESS_TOKEN is invalid or expired/);
    assert.doesNotMatch(renderTable([row]), /EAAG-expired-token/);
  });
});

Deno.test("doctor graph: an unknown phone number id is error 100/33 with the id fix", async () => {
  await withGraph(async (graphUrl) => {
    const row = await checkGraph({ graphUrl, token: TOKEN, phoneNumberId: "999999999999" }, {
      timeoutMs: 3000,
    });
    assert.equal(row.status, "fail");
    assert.match(row.detail, /Graph error 100\/33/);
    assert.match(row.fix!, /WHATSAPP_PHONE_NUMBER_ID is unknown/);
  });
});

Deno.test("doctor graph: without a number id the token alone is checked (GET /me)", async () => {
  await withGraph(async (graphUrl) => {
    const row = await checkGraph({ graphUrl, token: TOKEN, phoneNumberId: undefined }, {
      timeoutMs: 3000,
    });
    assert.equal(row.status, "ok");
    assert.match(row.detail, /token accepted/);
  });
});

Deno.test("doctor graph: unreachable Graph fails with the network fix; no token is a skip", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const row = await checkGraph(
    { graphUrl: `http://127.0.0.1:${port}/v23.0`, token: TOKEN, phoneNumberId: "1" },
    { timeoutMs: 2000 },
  );
  assert.equal(row.status, "fail");
  assert.match(row.fix!, /outbound HTTPS to graph\.facebook\.com/);
  const none = await checkGraph({
    graphUrl: "http://x",
    token: undefined,
    phoneNumberId: undefined,
  }, {
    timeoutMs: 10,
  });
  assert.equal(none.status, "skip");
});
