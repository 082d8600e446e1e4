import assert from "node:assert/strict";
import { verifyMetaSignature } from "../lib/whatsapp/signature.ts";
import { extractCallEvents, parseWebhook } from "../lib/whatsapp/webhook.ts";
import { checkSdp, EXAMPLE_ANSWER_SDP, FakeMetaGraph, type RecordedRequest } from "./meta_graph.ts";
import {
  connectOffer,
  DEFAULT_BUSINESS,
  postWebhook,
  type SignedWebhook,
  signWebhook,
  terminate,
} from "./meta_webhooks.ts";

const PHONE = DEFAULT_BUSINESS.phoneNumberId;

/** A business offer under Meta's rules: actpass, Opus + telephone-event only, one SSRC, a candidate. */
const BUSINESS_OFFER = EXAMPLE_ANSWER_SDP.replace("setup:active", "setup:actpass").replace(
  "a=ssrc:1001",
  "a=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host\r\na=ssrc:1001",
);
const URL_BASE = `https://graph.test/v23.0/${PHONE}/calls`;

interface Reply {
  status: number;
  json: {
    success?: boolean;
    calls?: { id: string }[];
    error?: {
      message: string;
      type: string;
      code: number;
      error_subcode?: number;
      error_data?: { details: string };
      fbtrace_id: string;
    };
  };
}

async function post(
  fake: FakeMetaGraph,
  body: unknown,
  options: { token?: string | null; url?: string; method?: string } = {},
): Promise<Reply> {
  const token = options.token === undefined ? fake.accessToken : options.token;
  const res = await fake.fetch(options.url ?? URL_BASE, {
    method: options.method ?? "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(options.method === "GET" ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

const answer = (callId: string, action: "pre_accept" | "accept", sdp = EXAMPLE_ANSWER_SDP) => ({
  messaging_product: "whatsapp",
  call_id: callId,
  action,
  session: { sdp_type: "answer", sdp },
});
const bare = (callId: string, action: "reject" | "terminate") => ({
  messaging_product: "whatsapp",
  call_id: callId,
  action,
});

function errorOf(r: Reply): { status: number; code: number; details?: string } {
  assert.ok(r.json.error, `expected an error, got ${JSON.stringify(r.json)}`);
  const out: { status: number; code: number; details?: string } = {
    status: r.status,
    code: r.json.error.code,
  };
  if (r.json.error.error_data) out.details = r.json.error.error_data.details;
  return out;
}

Deno.test("a bad or missing bearer token is OAuthException 190", async () => {
  const fake = new FakeMetaGraph();
  const { callId } = fake.registerCall();
  for (const token of ["wrong", null]) {
    const r = await post(fake, bare(callId, "reject"), { token });
    assert.equal(r.status, 401);
    assert.equal(r.json.error?.code, 190);
    assert.equal(r.json.error?.type, "OAuthException");
    assert.match(r.json.error?.fbtrace_id ?? "", /^A/);
  }
  assert.equal(fake.call(callId)!.state, "ringing");
});

Deno.test("unknown phone number, route, call id and malformed bodies are rejected", async () => {
  const fake = new FakeMetaGraph();
  const { callId } = fake.registerCall();
  const other = await post(fake, bare(callId, "reject"), {
    url: "https://graph.test/v23.0/999/calls",
  });
  assert.equal(other.status, 400);
  assert.equal(other.json.error?.code, 100);
  assert.equal(other.json.error?.error_subcode, 33);
  assert.match(other.json.error?.message ?? "", /Object with ID '999' does not exist/);
  const cases: [unknown, RegExp][] = [
    [bare("wacid.nope", "reject"), /Invalid call_id/],
    [{ call_id: callId, action: "reject" }, /messaging_product/],
    [{ messaging_product: "whatsapp", call_id: callId, action: "hold" }, /unknown action hold/],
    [{ messaging_product: "whatsapp", action: "reject" }, /call_id is required/],
    ["just a string", /must be JSON/],
  ];
  for (const [body, details] of cases) {
    const e = errorOf(await post(fake, body));
    assert.equal(e.status, 400);
    assert.equal(e.code, 100);
    assert.match(e.details ?? "", details);
  }
  const get = await post(fake, undefined, { method: "GET" });
  assert.equal(get.json.error?.code, 100);
  assert.equal(fake.call(callId)!.state, "ringing");
});

Deno.test("checkSdp enforces Meta's answer rules line by line, as code 100 with details", () => {
  assert.equal(checkSdp(EXAMPLE_ANSWER_SDP, "answer"), undefined);
  assert.equal(checkSdp(EXAMPLE_ANSWER_SDP.replaceAll("\r\n", "\n"), "answer"), undefined);
  assert.equal(
    checkSdp(EXAMPLE_ANSWER_SDP.replace("setup:active", "setup:passive"), "answer"),
    undefined,
  );
  const fp = "a=fingerprint:sha-256 0B:3E";
  const cases: [string, number, RegExp][] = [
    [EXAMPLE_ANSWER_SDP.replace(/a=fingerprint:[^\r]*\r\n/, ""), 100, /found 0/],
    [EXAMPLE_ANSWER_SDP.replace("a=setup:", `${fp}\r\na=setup:`), 100, /found 2/],
    [EXAMPLE_ANSWER_SDP.replace("sha-256", "sha-384"), 100, /algorithm sha-384/],
    [EXAMPLE_ANSWER_SDP.replace("setup:active", "setup:actpass"), 100, /a=setup/],
    [EXAMPLE_ANSWER_SDP.replace(/a=setup:[^\r]*\r\n/, ""), 100, /a=setup/],
    [EXAMPLE_ANSWER_SDP.replace("SAVPF 111 126", "SAVPF 0 126"), 100, /payload type 111/],
    [EXAMPLE_ANSWER_SDP.replace("opus/48000/2", "PCMU/8000"), 100, /opus/],
    [EXAMPLE_ANSWER_SDP.replace(/m=audio[^\r]*\r\n/, ""), 100, /m=audio/],
    [EXAMPLE_ANSWER_SDP.replace(/a=ice-pwd:[^\r]*\r\n/, ""), 100, /ICE credentials/],
    ["hello", 100, /v=0/],
  ];
  for (const [sdp, code, details] of cases) {
    const fault = checkSdp(sdp, "answer");
    assert.equal(fault?.code, code, String(details));
    assert.match(fault?.details ?? "", details);
  }
  const offer = EXAMPLE_ANSWER_SDP.replace("setup:active", "setup:actpass");
  assert.equal(checkSdp(offer, "offer"), undefined);
});

Deno.test("pre_accept/accept validate the SDP and session type before changing state", async () => {
  const fake = new FakeMetaGraph();
  const { callId } = fake.registerCall();
  const twoFp = EXAMPLE_ANSWER_SDP.replace("a=setup:", "a=fingerprint:sha-256 AA\r\na=setup:");
  const fault = await post(fake, answer(callId, "pre_accept", twoFp));
  // Meta's documented envelope: code 100, the SDP issue in error_data.details.
  assert.equal(fault.status, 400);
  assert.deepEqual(
    { ...fault.json.error, fbtrace_id: "…" },
    {
      message: "(#100) Invalid parameter",
      type: "OAuthException",
      code: 100,
      error_data: {
        messaging_product: "whatsapp",
        details: "SDP Validation error: expected exactly one a=fingerprint line, found 2",
      },
      fbtrace_id: "…",
    },
  );
  const upper = {
    ...answer(callId, "accept"),
    session: { sdp_type: "ANSWER", sdp: EXAMPLE_ANSWER_SDP },
  };
  assert.match(errorOf(await post(fake, upper)).details ?? "", /sdp_type: "answer"/);
  assert.equal(fake.call(callId)!.state, "ringing");
});

Deno.test("accept must repeat the pre_accept SDP", async () => {
  const fake = new FakeMetaGraph();
  const { callId } = fake.registerCall();
  assert.equal((await post(fake, answer(callId, "pre_accept"))).json.success, true);
  assert.equal(fake.call(callId)!.state, "pre_accepted");
  const other = EXAMPLE_ANSWER_SDP.replace("a=ssrc:1001", "a=ssrc:1002");
  const e = errorOf(await post(fake, answer(callId, "accept", other)));
  assert.equal(e.code, 100);
  assert.equal(
    e.details,
    "SDP answer provided in accept does not match the SDP answer given in the Pre-Accept",
  );
  assert.equal((await post(fake, answer(callId, "accept"))).json.success, true);
  assert.equal(fake.call(callId)!.state, "accepted");
});

Deno.test("state machine: no idempotency, every repeat and every action on an ended call fails", async () => {
  const fake = new FakeMetaGraph();
  const ok = async (body: unknown) => assert.equal((await post(fake, body)).json.success, true);
  const fails = async (body: unknown, details: RegExp) =>
    assert.match(errorOf(await post(fake, body)).details ?? "", details);

  const a = fake.registerCall().callId;
  await ok(answer(a, "pre_accept"));
  await fails(answer(a, "pre_accept"), /pre_accept not allowed on a call that is pre_accepted/);
  await ok(answer(a, "accept"));
  await fails(answer(a, "accept"), /accept not allowed on a call that is accepted/);
  await fails(answer(a, "pre_accept"), /not allowed on a call that is accepted/);
  await fails(bare(a, "reject"), /reject not allowed/);
  await ok(bare(a, "terminate"));
  await fails(bare(a, "terminate"), /terminate not allowed on a call that is terminated/);
  await fails(answer(a, "accept"), /not allowed on a call that is terminated/);

  const b = fake.registerCall().callId;
  await ok(bare(b, "reject"));
  await fails(bare(b, "reject"), /not allowed on a call that is rejected/);
  await fails(answer(b, "accept"), /not allowed on a call that is rejected/);
  await fails(bare(b, "terminate"), /not allowed on a call that is rejected/);

  const c = fake.registerCall().callId;
  await ok(answer(c, "accept"));
  fake.hangup(c);
  await fails(bare(c, "terminate"), /not allowed on a call that is completed/);
  assert.throws(() => fake.hangup(c), /already ended/);
  // Every refusal is Meta's generic code 100 over HTTP 400 (Meta documents none: unconfirmed).
  const refusals = fake.requests.filter((r) => r.status !== 200);
  assert.ok(refusals.every((r) => r.status === 400 && r.errorCode === 100));
});

Deno.test("connect creates a business-initiated call; answer actions do not apply to it", async () => {
  const fake = new FakeMetaGraph();
  const offer = BUSINESS_OFFER;
  const connect = (to: unknown, sdp_type = "offer", sdp = offer) => ({
    messaging_product: "whatsapp",
    to,
    action: "connect",
    session: { sdp_type, sdp },
    biz_opaque_callback_data: "campaign-1",
  });
  // T: 138006 until the user granted a permission; then the call is placed.
  assert.equal(errorOf(await post(fake, connect("14085551234"))).code, 138006);
  fake.permissions.grantFromProfile(DEFAULT_BUSINESS, "14085551234");
  const r = await post(fake, connect("14085551234"));
  const id = r.json.calls?.[0]?.id ?? "";
  assert.match(id, /^wacid\./);
  assert.equal(fake.call(id)?.state, "calling");
  assert.equal(fake.call(id)?.bizOpaqueCallbackData, "campaign-1");
  assert.match(errorOf(await post(fake, answer(id, "accept"))).details ?? "", /user-initiated/);
  assert.match(errorOf(await post(fake, connect("+1 408"))).details ?? "", /phone number/);
  assert.match(errorOf(await post(fake, connect("14085551234", "answer"))).details ?? "", /offer/);
  const noFp = offer.replace(/a=fingerprint:[^\r]*\r\n/, "");
  assert.equal(errorOf(await post(fake, connect("14085551234", "offer", noFp))).code, 100);
  // Meta's business-offer rules: Opus and telephone-event only, one SSRC, actpass, candidates.
  const g722 = offer.replace("111 126", "111 9 126");
  assert.match(
    errorOf(await post(fake, connect("14085551234", "offer", g722))).details ?? "",
    /only Opus/,
  );
  const twoSsrc = offer.replace(
    "a=ssrc:1001 cname:bridge",
    "a=ssrc:1001 cname:b\r\na=ssrc:1002 cname:b",
  );
  assert.match(
    errorOf(await post(fake, connect("14085551234", "offer", twoSsrc))).details ?? "",
    /single SSRC/,
  );
  const active = offer.replace("setup:actpass", "setup:active");
  assert.match(
    errorOf(await post(fake, connect("14085551234", "offer", active))).details ?? "",
    /actpass/,
  );
  const bare_ = offer.replace(/a=candidate:[^\r]*\r\n/, "");
  assert.match(
    errorOf(await post(fake, connect("14085551234", "offer", bare_))).details ?? "",
    /candidate/,
  );
  // T: 138003 while a call with this user is ongoing.
  assert.equal(errorOf(await post(fake, connect("14085551234"))).code, 138003);
  await post(fake, bare(id, "terminate"));
  assert.equal(fake.call(id)?.state, "terminated");
});

Deno.test("failNext scripts errors for N requests of one action without side effects", async () => {
  const fake = new FakeMetaGraph();
  const { callId } = fake.registerCall();
  fake.failNext("accept", { status: 500, code: 138004, times: 2, details: "relay down" });
  fake.failNext("reject", { status: 400, code: 131044, type: "OAuthException" });
  const first = errorOf(await post(fake, answer(callId, "accept")));
  assert.deepEqual(first, { status: 500, code: 138004, details: "relay down" });
  assert.equal(errorOf(await post(fake, answer(callId, "accept"))).code, 138004);
  assert.equal(fake.call(callId)!.state, "ringing");
  assert.equal((await post(fake, answer(callId, "accept"))).json.success, true);
  const other = fake.registerCall().callId;
  assert.equal(errorOf(await post(fake, bare(other, "reject"))).code, 131044);
  assert.deepEqual(
    fake.requests.map((r) => [r.action, r.status, r.errorCode]),
    [
      ["accept", 500, 138004],
      ["accept", 500, 138004],
      ["accept", 200, undefined],
      ["reject", 400, 131044],
    ],
  );
});

Deno.test("requests are recorded with time, and listeners and waiters are notified", async () => {
  let clock = 1000;
  const fake = new FakeMetaGraph({ now: () => clock });
  const { callId } = fake.registerCall();
  const heard: RecordedRequest[] = [];
  const off = fake.onRequest((r) => heard.push(r));
  const pending = fake.waitFor("accept", callId);
  clock = 1500;
  await post(fake, answer(callId, "pre_accept"));
  off();
  clock = 2000;
  await post(fake, answer(callId, "accept"));
  const accepted = await pending;
  assert.equal(accepted.time, 2000);
  assert.equal(accepted.callId, callId);
  assert.equal(accepted.phoneNumberId, PHONE);
  assert.equal(accepted.path, `/v23.0/${PHONE}/calls`);
  assert.deepEqual(accepted.body, answer(callId, "accept"));
  assert.deepEqual(heard.map((r) => [r.action, r.time]), [["pre_accept", 1500]]);
  assert.equal(await fake.waitFor("pre_accept"), fake.requests[0], "past requests match too");
  await assert.rejects(fake.waitFor("terminate", callId, 10), /no terminate request for/);
});

Deno.test("latency delays the response and aborts with the client's signal", async () => {
  const fake = new FakeMetaGraph({ latencyMs: { reject: 60 } });
  const { callId } = fake.registerCall();
  let started = performance.now();
  await post(fake, bare(callId, "reject"));
  assert.ok(performance.now() - started >= 55);
  fake.setLatency("terminate", 5000);
  const live = fake.registerCall().callId;
  await post(fake, answer(live, "accept"));
  started = performance.now();
  await assert.rejects(
    fake.fetch(URL_BASE, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.accessToken}` },
      body: JSON.stringify(bare(live, "terminate")),
      signal: AbortSignal.timeout(20),
    }),
    (e: unknown) => e instanceof DOMException && e.name === "TimeoutError",
  );
  assert.ok(performance.now() - started < 1000);
  assert.equal(fake.call(live)!.state, "terminated", "Meta applied it; only the reply was lost");
});

Deno.test("webhooks drive the fake: connect registers the call, terminate ends it", async () => {
  const fake = new FakeMetaGraph();
  const offer = connectOffer({
    callId: "wacid.IN1",
    user: "4915112345678",
    timestamp: 1,
    sdp: "v=0\r\n",
  });
  const ok = () => Promise.resolve(new Response("ok"));
  await postWebhook("http://function.test", await signWebhook(offer, "s"), {
    observer: fake,
    fetch: ok,
  });
  assert.equal(fake.call("wacid.IN1")?.state, "ringing");
  assert.equal(fake.call("wacid.IN1")?.user, "4915112345678");
  assert.equal(fake.call("wacid.IN1")?.offerSdp, "v=0\r\n");
  const bye = terminate({
    callId: "wacid.IN1",
    user: "4915112345678",
    timestamp: 2,
    status: "COMPLETED",
  });
  fake.observeWebhook(await signWebhook(bye, "s"));
  assert.equal(fake.call("wacid.IN1")?.state, "completed");
  fake.observeWebhook(await signWebhook("{not json", "s"));
  fake.observeWebhook(await signWebhook({ object: "whatsapp_business_account" }, "s"));
  assert.equal(fake.call("wacid.IN1")?.state, "completed");
});

Deno.test("Meta's resulting webhooks are signed and sent to the sink", async () => {
  let clock = 1_700_000_000_000;
  const sent: SignedWebhook[] = [];
  const fake = new FakeMetaGraph({
    now: () => clock,
    webhooks: { appSecret: "secret", send: (w) => void sent.push(w) },
  });
  const events = async () => {
    await fake.flushWebhooks();
    return sent.splice(0).flatMap((w) => {
      const r = parseWebhook(JSON.parse(w.body));
      assert.ok(r.ok);
      return extractCallEvents(r.value);
    });
  };

  const live = fake.registerCall({ user: "4915112345678" }).callId;
  await post(fake, answer(live, "accept"));
  clock += 42_000;
  await post(fake, bare(live, "terminate"));
  const [ended] = await events();
  assert.equal(ended?.kind, "terminate");
  if (ended?.kind === "terminate") {
    assert.equal(ended.callId, live);
    assert.equal(ended.from, "4915112345678");
    assert.equal(ended.status, "COMPLETED");
    assert.equal(ended.durationSec, 42);
    assert.equal(ended.endTime! - ended.startTime!, 42_000);
  }

  const declined = fake.registerCall().callId;
  await post(fake, bare(declined, "reject"));
  const [rejected] = await events();
  assert.equal(rejected?.kind === "terminate" && rejected.startTime, undefined);

  const hung = fake.registerCall().callId;
  fake.hangup(hung);
  assert.deepEqual((await events()).map((e) => [e.kind, e.callId]), [["terminate", hung]]);

  fake.permissions.grantFromProfile(DEFAULT_BUSINESS, "14085551234");
  await events();
  const r = await post(fake, {
    messaging_product: "whatsapp",
    to: "14085551234",
    action: "connect",
    session: { sdp_type: "offer", sdp: BUSINESS_OFFER },
  });
  const outbound = r.json.calls![0]!.id;
  fake.answerBusinessCall(outbound, EXAMPLE_ANSWER_SDP);
  const [answered] = await events();
  assert.equal(answered?.kind, "connect_answer");
  assert.equal(fake.call(outbound)?.state, "accepted");
  assert.throws(() => fake.answerBusinessCall(outbound, EXAMPLE_ANSWER_SDP), /not calling/);

  fake.hangup(outbound);
  await fake.flushWebhooks();
  const w = sent[0]!;
  const raw = new TextEncoder().encode(w.body);
  assert.ok(await verifyMetaSignature(raw, w.headers["x-hub-signature-256"], "secret"));
});

Deno.test("sink failures surface from flushWebhooks", async () => {
  const fake = new FakeMetaGraph({
    webhooks: { appSecret: "s", send: () => Promise.reject(new Error("function down")) },
  });
  fake.hangup(fake.registerCall().callId);
  await assert.rejects(fake.flushWebhooks(), AggregateError);
  await fake.flushWebhooks();
});

Deno.test("served over HTTP on an ephemeral port", async () => {
  const fake = new FakeMetaGraph();
  const server = await fake.start();
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v23\.0$/);
    const { callId } = fake.registerCall();
    const res = await fetch(`${server.url}/${PHONE}/calls`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify(answer(callId, "accept")),
    });
    assert.deepEqual(await res.json(), { messaging_product: "whatsapp", success: true });
    assert.equal(fake.call(callId)!.state, "accepted");
  } finally {
    await server.close();
  }
});
