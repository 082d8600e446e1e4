import assert from "node:assert/strict";
import { speakLocally } from "./local_speech.ts";
import { missingTool } from "../../tests/support/command.ts";

const missing = missingTool("espeak-ng");

Deno.test({
  name: `local speech: espeak-ng says the text at 24 kHz${
    missing ? ` (ignored: ${missing}; .ci/run installs it)` : ""
  }`,
  ignore: missing !== undefined,
  async fn() {
    const pcm = await speakLocally("Welcome to Acme, how can I help?");
    assert.ok(pcm !== undefined);
    const seconds = pcm.length / 24_000;
    assert.ok(seconds > 1 && seconds < 5, `${seconds} s`);
    let energy = 0;
    for (const s of pcm) energy += s * s;
    assert.ok(Math.sqrt(energy / pcm.length) > 500, "audible, not silence");
  },
});

Deno.test("local speech: a missing binary, empty text or a hang give undefined, bounded", async () => {
  assert.equal(await speakLocally("hello", { command: "/nonexistent/espeak" }), undefined);
  assert.equal(await speakLocally("   "), undefined);
  const dir = await Deno.makeTempDir();
  try {
    const hang = `${dir}/hang`;
    await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 10\n");
    await Deno.chmod(hang, 0o755);
    const started = performance.now();
    assert.equal(await speakLocally("hello", { command: hang, timeoutMs: 200 }), undefined);
    assert.ok(performance.now() - started < 2_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
