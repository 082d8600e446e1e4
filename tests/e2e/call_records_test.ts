/**
 * Issue 15's "done when", as a newcomer sees it: `deno task dev` (the real
 * process) answers a call and leaves a stereo recording, a cost (zero for the
 * echo agent), turn latencies, and a signed `call.ended` (then `call.analyzed`)
 * delivered to dev's local receiver, which keeps only bodies whose Standard
 * Webhooks signature it verified.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { startStack } from "./stack.ts";

const CALLER_HZ = 440;

/** The verified webhook bodies of `callId` in `dir`, by type, once both have arrived. */
async function deliveredWebhooks(
  dir: string,
  callId: string,
  timeoutMs: number,
): Promise<Map<string, Record<string, unknown>>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = new Map<string, Record<string, unknown>>();
    const names = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
    for (const { name } of names) {
      const body = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
      if (body.data?.call?.id === callId) found.set(body.type, body);
    }
    if (found.size === 2 || performance.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test("dev + a call: stereo recording, zero cost, turn latency, signed call.ended and call.analyzed", async () => {
  const stack = await startStack();
  try {
    const speech = sine(CALLER_HZ, 24000, 24000, 8000);
    const result = await stack.call({ speech, speakAfterMs: 300, listenMs: 2500 });
    assert.equal(result.outcome, "completed");

    const hooks = await deliveredWebhooks(`${stack.dataDir}/webhooks`, result.callId, 20_000);
    assert.deepEqual([...hooks.keys()].sort(), ["call.analyzed", "call.ended"]);
    const ended = hooks.get("call.ended")!.data as Record<string, Record<string, unknown>>;
    assert.equal(ended.call!.status, "completed");
    assert.equal((ended.cost as { totalUsd: number }).totalUsd, 0, "the echo agent costs nothing");
    const latency = ended.latency as { turns: number; p50Ms: number; acceptToFirstAudioMs: number };
    assert.ok(latency.turns >= 1, JSON.stringify(latency));
    assert.ok(latency.p50Ms > 0 && latency.p50Ms < 3000, JSON.stringify(latency));
    assert.ok(latency.acceptToFirstAudioMs >= 0, JSON.stringify(latency));
    const transcript = ended.transcript as unknown as Array<{ speaker: string }>;
    assert.ok(transcript.some((l) => l.speaker === "agent"));
    const analyzed = hooks.get("call.analyzed")!.data as Record<string, { status: string }>;
    assert.equal(analyzed.analysis!.status, "not_analysed", "no key: never failed");

    // The time-limited link serves the recording without the bridge secret.
    const link = ended.recordingUrl as unknown as string;
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "audio/ogg");
    const ogg = new Uint8Array(await res.arrayBuffer());
    assert.equal(new TextDecoder().decode(ogg.subarray(0, 4)), "OggS");
    const head = new TextDecoder("latin1").decode(ogg.subarray(0, 200)).indexOf("OpusHead");
    assert.ok(head > 0, "an Ogg Opus stream");
    assert.equal(ogg[head + 9], 2, "stereo: caller left, agent right");
    const minutes = (result.timeline.hangup! - result.timeline.accept!) / 60_000;
    assert.ok(ogg.length / 1e6 / minutes <= 0.5, `${ogg.length} bytes for ${minutes} min`);
    const forged = await fetch(link.replace(/sig=[0-9a-f]+/, "sig=00"));
    await forged.body?.cancel();
    assert.equal(forged.status, 403);
  } finally {
    await stack.close();
  }
});
