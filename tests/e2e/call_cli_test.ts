/**
 * `deno task call`, the README's "try it" step, as a user runs it: a separate
 * process against a running stack, printing the timeline and saving what the
 * caller heard.
 */
import assert from "node:assert/strict";
import { CHIME_TONES_HZ } from "../../bridge/agents/echo.ts";
import { dominantTone } from "../../lib/audio/tone.ts";
import { decodeWav, type WavAudio } from "../../lib/audio/wav.ts";
import { runCallCli, startStack } from "./stack.ts";
import { freePort } from "../support/net.ts";

Deno.test("deno task call places a call, prints its timeline and saves what the caller heard", async () => {
  const graphPort = freePort();
  const stack = await startStack({
    env: { WHATSAPP_GRAPH_URL: `http://127.0.0.1:${graphPort}/v23.0` },
  });
  const dir = await Deno.makeTempDir({ prefix: "call_cli_" });
  try {
    const out = `${dir}/heard.wav`;
    const run = await runCallCli(stack, graphPort, ["--out", out, "--listen", "1"]);
    const stdout = run.stdout;
    assert.equal(run.code, 0, stdout + run.stderr);
    for (
      const step of [
        "pre_accept received",
        "accept received",
        "ICE + DTLS connected",
        "first agent audio heard",
        "caller hung up",
      ]
    ) {
      assert.match(
        stdout,
        new RegExp(`\\d+ ms  ${step.replace(/\+/g, "\\+")}`),
        `timeline shows ${step}`,
      );
    }
    assert.match(stdout, /: completed; caller heard \d+\.\d s/);
    const wav = decodeWav(await Deno.readFile(out)) as WavAudio;
    assert.equal(wav.sampleRate, 24000);
    const chime = wav.samples.subarray(0, 24000 * 0.6);
    assert.ok(
      (CHIME_TONES_HZ as readonly number[]).includes(
        dominantTone(chime, 24000, [...CHIME_TONES_HZ, 440]).freqHz,
      ),
      "the saved audio starts with the echo agent's chime",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await stack.close();
  }
});
