/**
 * `deno task dev --quick`: the stack starts as usual, then prints the
 * doctor's quick table; a failing check (STUN gets no answer here) is
 * printed and the stack keeps serving.
 */
import assert from "node:assert/strict";
import { freePort } from "../support/net.ts";

Deno.test("dev --quick: ready first, then the quick table; a failed check does not stop the stack", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const stunPort = (silent.addr as Deno.NetAddr).port;
  const bridgePort = freePort();
  const dir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../cli/dev.ts", import.meta.url).pathname, "--quick"],
    env: {
      BRIDGE_PORT: String(bridgePort),
      FUNCTIONS_PORT: String(freePort()),
      STORE_PGLITE_DIR: "memory://",
      STORE_OUTBOX_PATH: `${dir}/outbox.jsonl`,
      STUN_SERVERS: `127.0.0.1:${stunPort}`,
      MEDIA_REALTIME_PRIORITY: "0",
      LOG_FORMAT: "json",
      OPENAI_API_KEY: "",
      DATABASE_URL: "",
      SUPABASE_DB_URL: "",
      OPUS_FORCE_WASM: "1",
      NO_COLOR: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  try {
    const started = Date.now();
    while (!/\d+ passed, \d+ failed, \d+ skipped/.test(stderr) && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ready = stderr.indexOf("Ready.");
    const table = stderr.indexOf("deno task doctor --quick:");
    assert.ok(ready >= 0 && table > ready, stderr);
    const text = stderr.slice(table);
    assert.match(text, /✘ network\s+UDP egress \(STUN\)\s+no STUN server answered/);
    assert.match(text, /fix: outbound UDP is blocked/);
    assert.match(text, /– store\s+database\s+PGlite: held by this dev stack/);
    assert.match(text, /✔ secrets\s+bridge accepts the secret/);
    assert.match(text, /– openai\s+Realtime handshake\s+not run with --quick/);
    // Still serving after the failed check.
    const health = await fetch(`http://127.0.0.1:${bridgePort}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reading.catch(() => {});
    silent.close();
    await Deno.remove(dir, { recursive: true });
  }
});
