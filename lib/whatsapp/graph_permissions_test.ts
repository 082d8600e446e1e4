import assert from "node:assert/strict";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import {
  GraphPermissionError,
  GraphPermissionsClient,
  GraphPermissionUnknownOutcome,
} from "./graph_permissions.ts";

const PNID = DEFAULT_BUSINESS.phoneNumberId;
const TEMPLATE = { kind: "template", name: "sample_cpr_template", language: "en" } as const;

function client(fetchImpl: typeof fetch, token = "test-access-token") {
  return new GraphPermissionsClient({
    baseUrl: "https://graph.test/v23.0/",
    accessToken: token,
    fetch: fetchImpl,
    retryDelayMs: 1,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

Deno.test("graph permissions: sends the request once and returns its wamid; BSUID uses recipient", async () => {
  const fake = new FakeMetaGraph();
  const c = client(fake.fetch);
  const { messageId } = await c.sendPermissionRequest({
    phoneNumberId: PNID,
    user: "14085551234",
    content: TEMPLATE,
  });
  assert.match(messageId, /^wamid\./);
  await c.sendPermissionRequest({
    phoneNumberId: PNID,
    user: "BR.1502576394655843",
    content: { ...TEMPLATE, bodyParameters: [{ name: "first_name", text: "Ana" }] },
  });
  assert.deepEqual(
    fake.requests.map((r) => [r.path, (r.body as { recipient?: string }).recipient]),
    [
      [`/v23.0/${PNID}/messages`, undefined],
      [`/v23.0/${PNID}/messages`, "BR.1502576394655843"],
    ],
  );
  const answer = await c.getCallPermissions({ phoneNumberId: PNID, user: "BR.1502576394655843" });
  assert.equal(answer.permission.status, "no_permission");
  assert.equal(
    new URL(`http://x${fake.requests[2]!.path}`).pathname,
    `/v23.0/${PNID}/call_permissions`,
  );
});

Deno.test("graph permissions: Meta's refusal keeps code, details and fbtrace id; never retried", async () => {
  const fake = new FakeMetaGraph();
  const c = client(fake.fetch);
  await c.sendPermissionRequest({ phoneNumberId: PNID, user: "14085551234", content: TEMPLATE });
  const e = await rejection(
    c.sendPermissionRequest({ phoneNumberId: PNID, user: "14085551234", content: TEMPLATE }),
  );
  assert.ok(e instanceof GraphPermissionError);
  assert.deepEqual([e.httpStatus, e.code], [400, 138009]);
  assert.equal(typeof e.fbtraceId, "string");
  assert.equal(fake.requests.length, 2);
});

Deno.test("graph permissions: a lost send answer is unknown (never retried); the GET is retried on 429", async () => {
  let sends = 0;
  const failing: typeof fetch = () => {
    sends++;
    return Promise.resolve(
      new Response("<html>bad gateway test-access-token</html>", { status: 502 }),
    );
  };
  const e = await rejection(
    client(failing).sendPermissionRequest({
      phoneNumberId: PNID,
      user: "14085551234",
      content: TEMPLATE,
    }),
  );
  assert.ok(e instanceof GraphPermissionUnknownOutcome);
  assert.equal(sends, 1);
  const fake = new FakeMetaGraph();
  let gets = 0;
  const flaky: typeof fetch = (input, init) => {
    if (gets++ === 0) {
      return Promise.resolve(Response.json({
        error: { message: "Fetch Call Permission API Limit Hit", code: 613, fbtrace_id: "A1" },
      }, { status: 429 }));
    }
    return fake.fetch(input, init);
  };
  const answer = await client(flaky).getCallPermissions({
    phoneNumberId: PNID,
    user: "14085551234",
  });
  assert.equal(answer.permission.status, "no_permission");
  assert.equal(gets, 2);
});

Deno.test("graph permissions: a body Meta would refuse is refused before sending; the token never leaks", async () => {
  let calls = 0;
  const c = client(() => {
    calls++;
    return Promise.resolve(
      Response.json({ error: { message: "bad secret-token", code: 100 } }, { status: 400 }),
    );
  }, "secret-token");
  const tooLong = await rejection(c.sendPermissionRequest({
    phoneNumberId: PNID,
    user: "14085551234",
    content: { kind: "interactive", bodyText: "x".repeat(1025) },
  }));
  assert.ok(tooLong instanceof RangeError);
  assert.equal(calls, 0);
  const e = await rejection(
    c.sendPermissionRequest({ phoneNumberId: PNID, user: "14085551234", content: TEMPLATE }),
  );
  assert.ok(e instanceof GraphPermissionError);
  assert.doesNotMatch(e.message, /secret-token/);
});
