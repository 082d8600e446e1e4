import assert from "node:assert/strict";
import { openStore } from "./open.ts";
import { emptyUsage, type UsageIncrement } from "../lib/realtime/usage.ts";
import { sampleIncrement } from "../lib/realtime/_usage_sample.ts";

const CALL = "wacid.usage-test";

function increment(model: string, counters: Partial<Omit<UsageIncrement, "model">>) {
  return { callId: CALL, ...emptyUsage(model), ...counters };
}

Deno.test("usage store [pglite]: reports add up per call and model, atomically", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    assert.deepEqual(await store.listUsage(CALL), []);
    await store.addUsage({ callId: CALL, ...sampleIncrement("gpt-realtime-2.1") });
    await store.addUsage(increment("gpt-live-transcribe", { requests: 1, audioSeconds: 1.25 }));
    // Twenty responses reported at once, as a busy pool of connections would write them.
    await Promise.all(
      Array.from(
        { length: 20 },
        () => store.addUsage(increment("gpt-realtime-2.1", { requests: 1, outputAudioTokens: 10 })),
      ),
    );
    await store.addUsage(increment("gpt-live-transcribe", { requests: 1, audioSeconds: 0.5 }));
    await store.addUsage({ ...increment("gpt-realtime-2.1", { requests: 1 }), callId: "other" });
    const rows = await store.listUsage(CALL);
    assert.deepEqual(rows.map((r) => r.model), ["gpt-live-transcribe", "gpt-realtime-2.1"]);
    const [asr, realtime] = rows;
    assert.deepEqual([asr!.requests, asr!.audioSeconds, asr!.inputTokens], [2, 1.75, 0]);
    const { createdAt: _c, updatedAt: _u, ...counters } = realtime!;
    const sample = sampleIncrement("gpt-realtime-2.1");
    assert.deepEqual(counters, {
      ...sample,
      callId: CALL,
      requests: 21,
      outputAudioTokens: sample.outputAudioTokens + 20 * 10,
    });
    assert.ok(realtime!.updatedAt >= realtime!.createdAt);
  } finally {
    await store.close();
  }
});

Deno.test("usage store [pglite]: counters never go negative", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await assert.rejects(
      store.addUsage(increment("gpt-realtime-2.1", { outputTokens: -1 })),
      /check constraint/,
    );
  } finally {
    await store.close();
  }
});
