/**
 * Turn latency and cost through the stack as a real process: the session
 * measures each turn on the media path, the figures are settled into a store
 * from the call's records, and the fake OpenAI's think time shows in them.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { openStore } from "../../store/open.ts";
import { settleCallFigures, type SettledFigures } from "../../bridge/figures/settle.ts";
import { FiguresMetrics } from "../../bridge/figures/figures_metrics.ts";
import type { CallRecords, Stack } from "./stack.ts";
import { startStack } from "./stack.ts";
import { withOpenAIStack } from "./openai_stack.ts";

/** One second of the caller "speaking" (24 kHz). */
const SPEECH = sine(440, 24000, 24000, 8000);
/** The agent's server VAD waits this long after the last word (bridge/agents/session_config.ts). */
const VAD_SILENCE_MS = 500;

/** Settles `records` in a fresh store, as the post-call runner does in the bridge's own. */
async function settle(records: CallRecords): Promise<SettledFigures> {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const { callId, status: _s, createdAt: _c, updatedAt: _u, ...fields } = records.call!;
    await store.upsertCall({ callId, ...fields });
    for (const e of records.events) {
      await store.recordEvent({ callId, name: e.name, data: e.data, occurredAt: e.occurredAt });
    }
    return await settleCallFigures(store, callId, { metrics: new FiguresMetrics() });
  } finally {
    await store.close();
  }
}

async function oneTurn(stack: Stack): Promise<string> {
  // Speak once the greeting (think time + 600 ms) is over, so nothing barges in.
  const result = await stack.call({ speech: SPEECH, speakAfterMs: 1500, listenMs: 2500 });
  assert.equal(result.outcome, "completed");
  return result.callId;
}

Deno.test("e2e figures: a 300 ms think time shows as 300 ms more in the stored p50", async () => {
  await withOpenAIStack({
    defaultResponse: { kind: "audio", transcript: "Okay.", toneHz: 700, durationMs: 600 },
  }, async (stack, fake) => {
    const quick = await oneTurn(stack);
    fake.thinkMs = 300;
    const thinking = await oneTurn(stack);
    const [a, b] = [await stack.records(quick), await stack.records(thinking)];
    const [fast, slow] = [(await settle(a)).latency, (await settle(b)).latency];
    console.log(
      `turn p50: think 0 → ${fast.p50Ms} ms, think 300 → ${slow.p50Ms} ms; ` +
        `accept → first audio ${fast.acceptToFirstAudioMs} / ${slow.acceptToFirstAudioMs} ms; ` +
        `webhook → accept ${fast.webhookToAcceptMs} / ${slow.webhookToAcceptMs} ms`,
    );
    assert.equal(fast.turns, 1, JSON.stringify(fast));
    assert.equal(slow.turns, 1, JSON.stringify(slow));
    // The caller waits for the VAD's silence, the think time, and the pipeline (appends of
    // 40 ms, the socket, the next 20 ms tick): under 150 ms on loopback.
    for (const [l, think] of [[fast, 0], [slow, 300]] as const) {
      const pipeline = l.p50Ms! - VAD_SILENCE_MS - think;
      assert.ok(pipeline >= 0 && pipeline <= 150, `pipeline ${pipeline} ms at think ${think}`);
    }
    const added = slow.p50Ms! - fast.p50Ms!;
    assert.ok(added >= 250 && added <= 350, `think time added ${added} ms`);
    // The greeting thinks too.
    assert.ok(slow.acceptToFirstAudioMs! >= 300, `accept → audio ${slow.acceptToFirstAudioMs}`);
    assert.ok(fast.webhookToAcceptMs! > 0 && fast.webhookToAcceptMs! < 5000);
  });
});

Deno.test("e2e figures: an echo call's turn is its VAD's silence plus a tick, and costs zero", async () => {
  const stack = await startStack();
  try {
    const result = await stack.call({ speech: SPEECH, speakAfterMs: 500, listenMs: 2500 });
    assert.equal(result.outcome, "completed");
    const { cost, latency } = await settle(await stack.records(result.callId));
    console.log(
      `echo turn p50 ${latency.p50Ms} ms, accept → chime ${latency.acceptToFirstAudioMs} ms`,
    );
    assert.equal(cost.totalUsd, 0);
    assert.equal(latency.turns, 1, JSON.stringify(latency));
    // The echo agent's VAD ends a turn after 500 ms of silence; the echo leaves on the next tick.
    const pipeline = latency.p50Ms! - 500;
    assert.ok(pipeline >= 0 && pipeline <= 80, `echo pipeline ${pipeline} ms`);
    assert.ok(latency.acceptToFirstAudioMs! >= 0 && latency.acceptToFirstAudioMs! <= 100);
  } finally {
    await stack.close();
  }
});
