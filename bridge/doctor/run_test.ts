import assert from "node:assert/strict";
import { runDoctor } from "./run.ts";
import { storeSkipped } from "./store.ts";

Deno.test("doctor run: a malformed STUN_SERVERS fails the configuration and the network rows", async () => {
  const rows = await runDoctor({
    vars: { VOICE_BRIDGE_SECRET: "0123456789abcdef0123", STUN_SERVERS: "stun.example" },
    quick: true,
    storeRow: storeSkipped("not under test"),
  });
  const config = rows.find((r) => r.group === "config")!;
  assert.equal(config.status, "fail");
  assert.match(config.detail, /STUN_SERVERS: comma-separated host:port/);
  const stun = rows.find((r) => r.name === "STUN_SERVERS")!;
  assert.equal(stun.status, "fail");
  assert.match(stun.detail, /"stun\.example" is not host:port/);
});

Deno.test("doctor run: a missing secret fails its row, and the other checks still run", async () => {
  const rows = await runDoctor({
    vars: { STUN_SERVERS: "127.0.0.1:9", RTP_PORT_MIN: "41000", RTP_PORT_MAX: "41999" },
    quick: true,
    timeouts: { stun: 200 },
    storeRow: storeSkipped("not under test"),
  });
  assert.match(rows.find((r) => r.group === "config")!.detail, /VOICE_BRIDGE_SECRET/);
  // Ports ran on the rest of the configuration (a stand-in secret, never sent).
  assert.match(rows.find((r) => r.group === "ports")!.detail, /^41000–41999/);
});
