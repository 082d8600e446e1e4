import assert from "node:assert/strict";
import { ManualScheduler } from "../bridge/media/fake_scheduler.ts";
import { extractCallEvents, parseWebhook, type TerminateItem } from "../lib/whatsapp/webhook.ts";
import { CALL_ERRORS_HREF } from "../lib/whatsapp/call_errors.ts";
import {
  DEFAULT_RING_WINDOW_MS,
  EXAMPLE_ANSWER_SDP,
  FakeMetaGraph,
  type FakeMetaGraphOptions,
} from "./meta_graph.ts";
import { DEFAULT_BUSINESS, type SignedWebhook } from "./meta_webhooks.ts";

const URL_BASE = `https://graph.test/v23.0/${DEFAULT_BUSINESS.phoneNumberId}/calls`;

/** A fake on a manual clock whose webhooks are kept. */
function setup(options: FakeMetaGraphOptions = {}) {
  const timers = new ManualScheduler();
  const sent: SignedWebhook[] = [];
  const fake = new FakeMetaGraph({
    now: () => 1_700_000_000_000 + timers.now(),
    timers,
    webhooks: { appSecret: "s", send: (w) => void sent.push(w) },
    ...options,
  });
  const terminates = async (): Promise<TerminateItem[]> => {
    await fake.flushWebhooks();
    return sent.splice(0).flatMap((w) => {
      const parsed = parseWebhook(JSON.parse(w.body));
      assert.ok(parsed.ok);
      return extractCallEvents(parsed.value).filter((e) => e.kind === "terminate");
    });
  };
  return { fake, timers, sent, terminates };
}

async function act(fake: FakeMetaGraph, callId: string, action: string) {
  const res = await fake.fetch(URL_BASE, {
    method: "POST",
    headers: { authorization: `Bearer ${fake.accessToken}` },
    body: JSON.stringify({
      messaging_product: "whatsapp",
      call_id: callId,
      action,
      ...(action.endsWith("accept")
        ? { session: { sdp_type: "answer", sdp: EXAMPLE_ANSWER_SDP } }
        : {}),
    }),
  });
  const json = await res.json();
  return { status: res.status, code: json.error?.code as number | undefined, json };
}

Deno.test("a call not accepted within the ring window ends with Meta's terminate webhook", async () => {
  const { fake, timers, terminates } = setup();
  const { callId } = fake.registerCall();
  assert.equal((await act(fake, callId, "pre_accept")).status, 200);
  timers.advance(DEFAULT_RING_WINDOW_MS - 1);
  assert.equal(fake.call(callId)?.state, "pre_accepted");
  timers.advance(1);
  assert.equal(fake.call(callId)?.state, "not_answered");
  const [ended, ...more] = await terminates();
  assert.equal(more.length, 0);
  // Not picked up: no times; no errors (Meta documents none for a ring-out).
  assert.equal(ended?.callId, callId);
  assert.equal(ended?.status, "COMPLETED");
  assert.equal(ended?.startTime, undefined);
  assert.equal(ended?.durationSec, undefined);
  assert.deepEqual(ended?.errors, []);
});

Deno.test("the ring window lies within Meta's 30 to 60 s and is configurable", async () => {
  assert.ok(DEFAULT_RING_WINDOW_MS >= 30_000 && DEFAULT_RING_WINDOW_MS <= 60_000);
  const { fake, timers, terminates } = setup({ ringWindowMs: 45_000 });
  const { callId } = fake.registerCall();
  timers.advance(44_999);
  assert.equal(fake.call(callId)?.state, "ringing");
  timers.advance(1);
  assert.deepEqual((await terminates()).map((t) => t.callId), [callId]);
});

Deno.test("after the ring window, pre_accept and accept get 138007 (HTTP 500), reject code 100", async () => {
  const { fake, timers } = setup();
  const late = fake.registerCall().callId;
  const never = fake.registerCall().callId;
  timers.advance(DEFAULT_RING_WINDOW_MS);
  const accept = await act(fake, late, "accept");
  assert.equal(accept.status, 500);
  assert.equal(accept.code, 138007);
  assert.equal(accept.json.error.message, "Connect Timeout error");
  assert.match(accept.json.error.error_data.details, /not invoked with the answer SDP in time/);
  assert.equal((await act(fake, never, "pre_accept")).code, 138007);
  assert.deepEqual(await act(fake, late, "reject").then((r) => [r.status, r.code]), [400, 100]);
  assert.equal(fake.call(late)?.state, "not_answered");
});

Deno.test("answered, rejected or hung-up calls never ring out", async () => {
  const { fake, timers, terminates } = setup();
  const accepted = fake.registerCall().callId;
  const rejected = fake.registerCall().callId;
  const hungUp = fake.registerCall().callId;
  await act(fake, accepted, "accept");
  await act(fake, rejected, "reject");
  fake.hangup(hungUp);
  // Meta promises no order, nor does the fake: compare as sets.
  assert.deepEqual((await terminates()).map((t) => t.callId).sort(), [rejected, hungUp].sort());
  timers.advance(DEFAULT_RING_WINDOW_MS * 2);
  assert.deepEqual(await terminates(), []);
  assert.equal(fake.call(accepted)?.state, "accepted");
});

Deno.test("failCall ends the call FAILED with Meta's error item; times only once picked up", async () => {
  const { fake, timers, terminates } = setup();
  const ringing = fake.registerCall().callId;
  const live = fake.registerCall().callId;
  await act(fake, live, "accept");
  timers.advance(12_000);
  fake.failCall(ringing, 138019);
  fake.failCall(live, 138020, "relay unreachable");
  const ended = await terminates();
  const setup_ = ended.find((t) => t.callId === ringing);
  const relay = ended.find((t) => t.callId === live);
  assert.equal(setup_?.status, "FAILED");
  assert.deepEqual(setup_?.errors, [{
    code: 138019,
    message: "Call setup failed",
    details: "The WhatsApp client failed to set up the call",
  }]);
  assert.equal(setup_?.startTime, undefined);
  assert.equal(relay?.status, "FAILED");
  assert.deepEqual(relay?.errors, [{
    code: 138020,
    message: "Relay connection failed",
    details: "relay unreachable",
  }]);
  assert.equal(relay?.durationSec, 12);
  assert.equal(fake.call(live)?.state, "failed");
  assert.throws(() => fake.failCall(live, 138021), /already ended/);
  timers.advance(DEFAULT_RING_WINDOW_MS);
  assert.deepEqual(await terminates(), [], "a failed call does not ring out later");
});

Deno.test("the terminate webhook's errors[] item is in Meta's documented shape", async () => {
  const { fake, sent } = setup();
  fake.failCall(fake.registerCall().callId, 138023);
  await fake.flushWebhooks();
  const value = JSON.parse(sent[0]!.body).entry[0].changes[0].value;
  assert.deepEqual(value.errors, [{
    code: 138023,
    message: "Call accepted but terminated with no media signals",
    href: CALL_ERRORS_HREF,
    error_data: { details: "The call was accepted but ended with no media connection signals" },
  }]);
  assert.equal(value.calls[0].status, "FAILED");
});

Deno.test("a scripted failure after the fact: Meta applied the request, the answer is an error", async () => {
  const { fake } = setup();
  const { callId } = fake.registerCall();
  fake.failNext("accept", { status: 500, code: 138004, applied: true });
  assert.deepEqual(await act(fake, callId, "accept").then((r) => [r.status, r.code]), [
    500,
    138004,
  ]);
  assert.equal(fake.call(callId)?.state, "accepted");
  // Its retry is a repeat of an applied accept: refused (code unconfirmed).
  assert.deepEqual(await act(fake, callId, "accept").then((r) => [r.status, r.code]), [400, 100]);
});

Deno.test("a terminate webhook seen after the ring-out keeps the call not_answered", async () => {
  const { fake, timers, sent } = setup();
  const { callId } = fake.registerCall();
  timers.advance(DEFAULT_RING_WINDOW_MS);
  await fake.flushWebhooks();
  fake.observeWebhook(sent[0]!);
  assert.equal(fake.call(callId)?.state, "not_answered");
});
