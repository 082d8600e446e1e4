/**
 * The shared coturn helper against a real `turnserver` on loopback: ready
 * means it answers STUN on every listening address and completes a TLS
 * handshake that trusts only the CA it returns; stop removes its certificate
 * directory; a coturn that cannot start fails within the bound, with its log.
 */
import assert from "node:assert/strict";
import { probeStun } from "../../bridge/network/stun_probe.ts";
import { coturnMissing, startCoturn } from "./coturn.ts";

const missing = coturnMissing({ tls: true });

function test(name: string, fn: () => Promise<void>) {
  Deno.test({ name: missing ? `${name} [skipped: ${missing}]` : name, ignore: !!missing, fn });
}

test("coturn: ready answers STUN on each address and TLS trusting its CA; stop cleans up", async () => {
  const coturn = await startCoturn({
    listen: ["127.0.0.1", "127.0.0.2"],
    relayPorts: [49950, 49960],
    tls: {},
  });
  const caDir = coturn.tls.caFile.replace(/\/ca\.pem$/, "");
  try {
    for (const host of ["127.0.0.1", "127.0.0.2"]) {
      // One try, no retransmission: ready must mean answering now, not soon.
      const r = await probeStun({ host, port: coturn.port }, { timeoutMs: 500, rtoMs: 500 });
      assert.ok(r.ok, `${host}: ${JSON.stringify(r)}`);
    }
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: coturn.tls.port,
      caCerts: [coturn.tls.caPem],
    });
    await conn.handshake();
    conn.close();
    await assert.rejects(async () => {
      const untrusted = await Deno.connectTls({ hostname: "127.0.0.1", port: coturn.tls!.port });
      try {
        await untrusted.handshake();
      } finally {
        untrusted.close();
      }
    }, "a client without the CA refuses the certificate");
    assert.match(coturn.log(), /Listener address to use: 127\.0\.0\.2/, "its log is collected");
  } finally {
    await coturn.stop();
  }
  assert.throws(() => Deno.statSync(caDir), Deno.errors.NotFound, "certificate dir removed");
  const r = await probeStun({ host: "127.0.0.1", port: coturn.port }, { timeoutMs: 300 });
  assert.equal(r.ok, false, "stopped coturn no longer answers");
});

test("coturn: one that cannot listen fails within its bound, naming what is missing", async () => {
  const started = performance.now();
  // 192.0.2.1 (TEST-NET-1) is on no interface here: coturn cannot bind it.
  const error = await startCoturn({
    listen: ["192.0.2.1"],
    port: 3478,
    relayPorts: [49961, 49970],
    readyTimeoutMs: 1500,
  }).then(() => undefined, (e: Error) => e);
  assert.ok(error, "startCoturn must reject");
  assert.match(error.message, /^coturn (exited|did not list udp 192\.0\.2\.1:3478)/);
  assert.ok(performance.now() - started < 1500 + 3000, "bounded wait (plus stop's grace)");
});
