/**
 * `deno task call --outbound` as a user runs it against `deno task dev`: a
 * separate process that has the fake Meta grant the permission, asks
 * `wa-outbound-calls` for the call, answers on the fake phone, hears the
 * agent first, talks and hangs up, and prints the timeline.
 */
import assert from "node:assert/strict";
import { rms } from "../../lib/audio/pcm.ts";
import { decodeWav, type WavAudio } from "../../lib/audio/wav.ts";
import { runCallCli, startStack } from "./stack.ts";
import { freePort } from "../support/net.ts";
import { until } from "../support/until.ts";

Deno.test("deno task call --outbound places a business-initiated call end to end", async () => {
  const graphPort = freePort();
  const stack = await startStack({
    env: { WHATSAPP_GRAPH_URL: `http://127.0.0.1:${graphPort}/v23.0` },
  });
  const dir = await Deno.makeTempDir({ prefix: "outbound_cli_" });
  try {
    // Dev writes it just after it is ready.
    const keyFile = `${stack.dataDir}/service_role_key`;
    await until(
      () => {
        try {
          return Deno.statSync(keyFile).isFile;
        } catch {
          return false;
        }
      },
      5000,
      "dev's key file",
    );
    const out = `${dir}/heard.wav`;
    const run = await runCallCli(stack, graphPort, [
      "--outbound",
      // The key dev left for it, as on a laptop.
      "--service-role-key",
      (await Deno.readTextFile(keyFile)).trim(),
      "--talk",
      "2",
      "--out",
      out,
    ], { OPUS_FORCE_WASM: "1" });
    const stdout = run.stdout;
    assert.equal(run.code, 0, stdout + run.stderr);
    for (
      const step of [
        "permission granted",
        "call wacid\\.\\S+ requested: ringing",
        "phone: ringing",
        "phone: answer sent",
        "phone: accepted",
        "phone: first business audio",
        "phone: hung up",
      ]
    ) {
      assert.match(stdout, new RegExp(`\\d+ ms  ${step}`), `timeline shows ${step}`);
    }
    const callId = /call (wacid\.\S+): completed/.exec(stdout)?.[1];
    assert.ok(callId, stdout);
    const wav = decodeWav(await Deno.readFile(out)) as WavAudio;
    assert.ok(wav.samples.length >= 24000, "the user heard at least a second");
    assert.ok(rms(wav.samples.subarray(0, 24000)) > 100, "the agent spoke first");
    const { call } = await stack.records(callId, (r) => r.call?.status === "completed");
    assert.equal(call?.direction, "business_initiated");
    assert.ok(call?.acceptedAt);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await stack.close();
  }
});
