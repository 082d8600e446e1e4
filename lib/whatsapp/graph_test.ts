import assert from "node:assert/strict";
import { EXAMPLE_ANSWER_SDP, FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import {
  GraphApiError,
  type GraphCallAction,
  GraphClient,
  type GraphClientOptions,
  GraphNetworkError,
  GraphResponseError,
  GraphTimeoutError,
} from "./graph.ts";
import { callErrorInfo } from "./call_errors.ts";

const PHONE = "106540352242922";
// A business offer: our side's DTLS role left open, and complete candidates (no trickle).
const OFFER_SDP = EXAMPLE_ANSWER_SDP.replace("a=setup:active", "a=setup:actpass")
  .replace(/\r?\n?$/, "\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\n");

function setup(options: Partial<GraphClientOptions> = {}) {
  const fake = new FakeMetaGraph();
  const delays: number[] = [];
  const client = new GraphClient({
    baseUrl: "https://graph.test/v23.0",
    accessToken: fake.accessToken,
    fetch: fake.fetch,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  return { fake, client, delays };
}

const answerOf = (callId: string) => ({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });

/** Sends `action` for `callId` with the client's method of that name. */
function send(client: GraphClient, action: GraphCallAction, callId: string) {
  switch (action) {
    case "pre_accept":
      return client.preAccept(answerOf(callId));
    case "accept":
      return client.accept(answerOf(callId));
    case "reject":
      return client.reject({ phoneNumberId: PHONE, callId });
    case "terminate":
      return client.terminate({ phoneNumberId: PHONE, callId });
    case "connect":
      throw new Error("connect is never retried");
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

Deno.test("pre_accept then accept send the documented bodies and headers", async () => {
  const { fake, client } = setup();
  const { callId } = fake.registerCall();
  const seen: Headers[] = [];
  const spying = new GraphClient({
    baseUrl: "https://graph.test/v23.0/",
    accessToken: fake.accessToken,
    fetch: (input, init) => {
      seen.push(new Headers(init?.headers));
      return fake.fetch(input, init);
    },
  });
  await spying.preAccept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });
  await client.accept({
    phoneNumberId: PHONE,
    callId,
    sdp: EXAMPLE_ANSWER_SDP,
    bizOpaqueCallbackData: "ticket-7",
  });
  assert.equal(fake.requests[0]!.path, `/v23.0/${PHONE}/calls`);
  assert.deepEqual(fake.requests.map((r) => r.body), [
    {
      messaging_product: "whatsapp",
      call_id: callId,
      action: "pre_accept",
      session: { sdp_type: "answer", sdp: EXAMPLE_ANSWER_SDP },
    },
    {
      messaging_product: "whatsapp",
      call_id: callId,
      action: "accept",
      session: { sdp_type: "answer", sdp: EXAMPLE_ANSWER_SDP },
      biz_opaque_callback_data: "ticket-7",
    },
  ]);
  assert.equal(seen[0]!.get("authorization"), `Bearer ${fake.accessToken}`);
  assert.equal(seen[0]!.get("content-type"), "application/json");
  assert.equal(fake.call(callId)!.state, "accepted");
});

Deno.test("reject and terminate send bare call_id bodies", async () => {
  const { fake, client } = setup();
  const ringing = fake.registerCall();
  const live = fake.registerCall();
  await client.reject({ phoneNumberId: PHONE, callId: ringing.callId });
  await client.accept({ phoneNumberId: PHONE, callId: live.callId, sdp: EXAMPLE_ANSWER_SDP });
  await client.terminate({ phoneNumberId: PHONE, callId: live.callId });
  assert.deepEqual(fake.requests[0]!.body, {
    messaging_product: "whatsapp",
    call_id: ringing.callId,
    action: "reject",
  });
  assert.deepEqual(fake.requests[2]!.body, {
    messaging_product: "whatsapp",
    call_id: live.callId,
    action: "terminate",
  });
  assert.equal(fake.call(ringing.callId)!.state, "rejected");
  assert.equal(fake.call(live.callId)!.state, "terminated");
});

Deno.test("connect returns Meta's call id", async () => {
  const { fake, client } = setup();
  // Meta rings a user only with their permission.
  fake.permissions.grantFromProfile(DEFAULT_BUSINESS, "14085551234");
  const { callId } = await client.connect({
    phoneNumberId: PHONE,
    to: "14085551234",
    sdp: OFFER_SDP,
    bizOpaqueCallbackData: "0fS5cePMok",
  });
  assert.deepEqual(fake.requests[0]!.body, {
    messaging_product: "whatsapp",
    to: "14085551234",
    action: "connect",
    session: { sdp_type: "offer", sdp: OFFER_SDP },
    biz_opaque_callback_data: "0fS5cePMok",
  });
  assert.equal(fake.call(callId)!.state, "calling");
});

Deno.test("Meta's error envelope becomes a GraphApiError with code, meaning and SDP details", async () => {
  const { fake, client } = setup();
  const { callId } = fake.registerCall();
  const twoFingerprints = EXAMPLE_ANSWER_SDP.replace(
    "a=setup:active",
    "a=fingerprint:sha-512 AA:BB\r\na=setup:active",
  );
  const err = await rejection(
    client.accept({ phoneNumberId: PHONE, callId, sdp: twoFingerprints }),
  );
  assert.ok(err instanceof GraphApiError);
  assert.equal(err.code, 100);
  assert.equal(err.httpStatus, 400);
  assert.equal(err.type, "OAuthException");
  assert.equal(err.codeName, "invalid_parameter");
  assert.match(err.meaning ?? "", /SDP validation/);
  assert.match(err.details ?? "", /exactly one a=fingerprint line, found 2/);
  assert.match(err.fbtraceId ?? "", /^A\w+/);
  assert.equal(err.action, "accept");
  assert.equal(err.attempts, 1, "4xx is not retried");
  assert.equal(fake.requests.length, 1);
  assert.match(err.message, /HTTP 400 code 100 \(invalid_parameter\)/);
});

Deno.test("unknown codes keep code but no name; subcode is carried", async () => {
  const { fake, client } = setup();
  const { callId } = fake.registerCall();
  fake.failNext("reject", { status: 400, code: 424242, subcode: 33, message: "odd" });
  const err = await rejection(client.reject({ phoneNumberId: PHONE, callId }));
  assert.ok(err instanceof GraphApiError);
  assert.equal(err.code, 424242);
  assert.equal(err.subcode, 33);
  assert.equal(err.codeName, undefined);
  assert.equal(callErrorInfo(138021)?.codeName, "media_receive_timeout");
});

Deno.test("5xx on accept is retried with backoff, then succeeds", async () => {
  const { fake, client, delays } = setup();
  const { callId } = fake.registerCall();
  fake.failNext("accept", { status: 500, code: 138004, times: 2 });
  await client.accept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });
  assert.deepEqual(fake.requests.map((r) => r.status), [500, 500, 200]);
  assert.deepEqual(delays, [200, 400]);
  assert.equal(fake.call(callId)!.state, "accepted");
});

Deno.test("429 is retried; retries are bounded", async () => {
  const { fake, client, delays } = setup({ retries: 1, retryDelayMs: 10 });
  const { callId } = fake.registerCall();
  fake.failNext("terminate", { status: 429, code: 138002, times: 5 });
  const err = await rejection(client.terminate({ phoneNumberId: PHONE, callId }));
  assert.ok(err instanceof GraphApiError);
  assert.equal(err.code, 138002);
  assert.equal(err.attempts, 2);
  assert.equal(fake.requests.length, 2);
  assert.deepEqual(delays, [10]);
});

Deno.test("connect is never retried, even on 5xx", async () => {
  const { fake, client, delays } = setup({ retries: 5 });
  fake.failNext("connect", { status: 503, code: 138004, times: 3 });
  const err = await rejection(
    client.connect({ phoneNumberId: PHONE, to: "14085551234", sdp: OFFER_SDP }),
  );
  assert.ok(err instanceof GraphApiError);
  assert.equal(fake.requests.length, 1);
  assert.deepEqual(delays, []);
});

Deno.test("the per-request timeout is honoured and classified", async () => {
  const { fake, client } = setup({ timeoutMs: 20, retries: 0 });
  const { callId } = fake.registerCall();
  fake.setLatency("pre_accept", 2000);
  const started = performance.now();
  const err = await rejection(
    client.preAccept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP }),
  );
  assert.ok(err instanceof GraphTimeoutError);
  assert.equal(err.timeoutMs, 20);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("a timed-out accept that Meta applied: the retry's refusal reports it applied", async () => {
  const { fake } = setup();
  const { callId } = fake.registerCall();
  let calls = 0;
  const client = new GraphClient({
    accessToken: fake.accessToken,
    timeoutMs: 20,
    sleep: () => Promise.resolve(),
    // The first response is lost after Meta processed the request.
    fetch: (input, init) => {
      fake.setLatency("accept", calls++ === 0 ? 2000 : 0);
      return fake.fetch(input, init);
    },
  });
  const result = await client.accept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });
  assert.deepEqual(fake.requests.map((r) => r.status), [200, 400]);
  assert.equal(result.attempts, 2);
  assert.equal(result.alreadyApplied?.code, 100);
  assert.equal(fake.call(callId)!.state, "accepted");
});

for (const action of ["pre_accept", "accept", "reject", "terminate"] as const) {
  Deno.test(`${action} applied but answered 5xx: the retry's 400 means done, not failed`, async () => {
    const { fake, client } = setup();
    const { callId } = fake.registerCall();
    if (action === "terminate") await client.accept(answerOf(callId));
    fake.failNext(action, { status: 500, code: 138004, applied: true });
    const result = await send(client, action, callId);
    assert.equal(result.attempts, 2);
    assert.ok(result.alreadyApplied instanceof GraphApiError);
    assert.equal(result.alreadyApplied.httpStatus, 400);
    assert.deepEqual(fake.actionsFor(callId).slice(-2), [action, action]);
  });
}

Deno.test("a 400 is a failure when no earlier attempt can have been applied", async () => {
  const { fake, client } = setup();
  const first = fake.registerCall().callId;
  await client.preAccept(answerOf(first));
  // The first attempt already refused: a real refusal, not a repeat.
  assert.ok(await rejection(client.preAccept(answerOf(first))) instanceof GraphApiError);
  // A 429 is Meta declining the request, so the 400 after it is a real refusal too.
  const second = fake.registerCall().callId;
  await client.preAccept(answerOf(second));
  fake.failNext("pre_accept", { status: 429, code: 138005 });
  const err = await rejection(client.preAccept(answerOf(second)));
  assert.ok(err instanceof GraphApiError);
  assert.equal(err.httpStatus, 400);
  assert.equal(err.attempts, 2);
});

Deno.test("a clean first answer carries no refusal", async () => {
  const { fake, client } = setup();
  const { callId } = fake.registerCall();
  assert.deepEqual(await client.preAccept(answerOf(callId)), { attempts: 1 });
});

Deno.test("connect timing out is reported once, not repeated", async () => {
  const { fake, client } = setup({ timeoutMs: 20 });
  fake.setLatency("connect", 2000);
  const err = await rejection(
    client.connect({ phoneNumberId: PHONE, to: "14085551234", sdp: OFFER_SDP }),
  );
  assert.ok(err instanceof GraphTimeoutError);
  assert.equal(fake.requests.length, 1);
});

Deno.test("network errors are retried then reported as GraphNetworkError", async () => {
  let attempts = 0;
  const client = new GraphClient({
    accessToken: "tok",
    sleep: () => Promise.resolve(),
    fetch: () => {
      attempts++;
      return Promise.reject(new TypeError("connection reset"));
    },
  });
  const err = await rejection(client.reject({ phoneNumberId: PHONE, callId: "wacid.x" }));
  assert.ok(err instanceof GraphNetworkError);
  assert.match(err.message, /TypeError: connection reset/);
  assert.equal(err.attempts, 3);
  assert.equal(attempts, 3);
});

Deno.test("unexpected responses are GraphResponseErrors; 5xx pages are retried", async () => {
  const bodies: [number, string][] = [[502, "<html>Bad gateway</html>"], [200, '{"ok":1}']];
  let i = 0;
  const client = new GraphClient({
    accessToken: "tok",
    sleep: () => Promise.resolve(),
    fetch: () => {
      const [status, body] = bodies[Math.min(i++, 1)]!;
      return Promise.resolve(new Response(body, { status }));
    },
  });
  const err = await rejection(client.terminate({ phoneNumberId: PHONE, callId: "wacid.x" }));
  assert.ok(err instanceof GraphResponseError);
  assert.equal(err.httpStatus, 200);
  assert.match(err.message, /success/);
  assert.equal(i, 2, "the 502 page was retried, the bad 200 was not");

  const never = new GraphClient({
    accessToken: "tok",
    fetch: () => Promise.resolve(new Response("not json", { status: 200 })),
  });
  const e2 = await rejection(never.reject({ phoneNumberId: PHONE, callId: "wacid.x" }));
  assert.ok(e2 instanceof GraphResponseError);
  assert.match(e2.message, /not JSON/);
});

Deno.test("the access token never appears in errors", async () => {
  const token = "EAAG-super-secret-token-123";
  const leaky: [string, () => Promise<Response>][] = [
    ["network", () => Promise.reject(new Error(`socket closed for Bearer ${token}`))],
    [
      "envelope",
      () =>
        Promise.resolve(Response.json({
          error: {
            message: `Invalid token ${token}`,
            type: "OAuthException",
            code: 190,
            error_data: { details: token },
          },
        }, { status: 401 })),
    ],
    ["page", () => Promise.resolve(new Response(`bad token ${token}`, { status: 403 }))],
  ];
  for (const [label, respond] of leaky) {
    const client = new GraphClient({
      accessToken: token,
      retries: 0,
      fetch: respond,
    });
    const err = await rejection(client.terminate({ phoneNumberId: PHONE, callId: "wacid.x" }));
    assert.ok(err instanceof Error, label);
    for (const text of [err.message, String(err), JSON.stringify(err), Deno.inspect(err)]) {
      assert.ok(!text.includes(token), `${label}: ${text}`);
    }
    assert.match(err.message, /\[redacted\]/, label);
  }
  const fake = new FakeMetaGraph({ accessToken: "right" });
  const wrong = new GraphClient({ accessToken: token, fetch: fake.fetch });
  const err = await rejection(wrong.terminate({ phoneNumberId: PHONE, callId: "wacid.x" }));
  assert.ok(err instanceof GraphApiError);
  assert.equal(err.code, 190);
  assert.equal(err.codeName, "invalid_access_token");
  assert.ok(!Deno.inspect(err).includes(token));
});

Deno.test("biz_opaque_callback_data over 512 chars is refused before sending", async () => {
  const { fake, client } = setup();
  const { callId } = fake.registerCall();
  await assert.rejects(
    client.accept({
      phoneNumberId: PHONE,
      callId,
      sdp: EXAMPLE_ANSWER_SDP,
      bizOpaqueCallbackData: "x".repeat(513),
    }),
    RangeError,
  );
  await client.accept({
    phoneNumberId: PHONE,
    callId,
    sdp: EXAMPLE_ANSWER_SDP,
    bizOpaqueCallbackData: "x".repeat(512),
  });
  assert.equal(fake.requests.length, 1);
});

Deno.test("works over real HTTP against the served fake", async () => {
  const fake = new FakeMetaGraph();
  const server = await fake.start();
  try {
    const client = new GraphClient({ baseUrl: server.url, accessToken: fake.accessToken });
    const { callId } = fake.registerCall();
    await client.preAccept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });
    await client.accept({ phoneNumberId: PHONE, callId, sdp: EXAMPLE_ANSWER_SDP });
    const err = await rejection(client.terminate({ phoneNumberId: "999", callId }));
    assert.ok(err instanceof GraphApiError);
    assert.equal(err.subcode, 33);
    assert.equal(fake.call(callId)!.state, "accepted");
  } finally {
    await server.close();
  }
});
