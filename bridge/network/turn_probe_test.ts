/**
 * `probeTurn` against a real coturn on loopback: each outcome a cause an
 * operator can act on, within its bound, and never a credential in a result.
 */
import assert from "node:assert/strict";
import { coturnMissing, startCoturn, type TlsCoturn } from "../../tests/support/coturn.ts";
import { freePort } from "../../tests/support/net.ts";
import { installWeriftPatches } from "../webrtc/werift_patches.ts";
import { parseIceServers, type TurnServer } from "./ice_servers.ts";
import { classifyTurnError, probeTurn, type TurnProbeResult } from "./turn_probe.ts";

const IP = "127.0.0.1";

function turn(urls: string, coturn: TlsCoturn, credential = coturn.credential): TurnServer {
  const [server] = parseIceServers([{ urls, username: coturn.username, credential }]);
  assert.ok(server?.kind === "turn");
  return server;
}

function assertNoSecret(result: TurnProbeResult, ...secrets: string[]): void {
  const text = JSON.stringify(result);
  for (const secret of secrets) assert.ok(!text.includes(secret), text);
}

Deno.test({
  name: "probeTurn: ok, auth, unreachable, timeout and tls against real coturn [coturn]",
  ignore: coturnMissing({ tls: true }) !== undefined,
  sanitizeOps: false, // a timed-out UDP attempt's retransmissions end on their own, after the test
  sanitizeResources: false,
}, async (t) => {
  installWeriftPatches();
  const coturn = await startCoturn({ listen: [IP], relayPorts: [49700, 49799], tls: {} });
  const trusted = { ca: coturn.tls.caPem };
  // Each transport with what a client needs to trust it.
  const transports = [
    [`turn:${IP}:${coturn.port}`, undefined],
    [`turn:${IP}:${coturn.port}?transport=tcp`, undefined],
    [`turns:${IP}:${coturn.tls.port}`, trusted],
  ] as const;
  try {
    await t.step("ok over udp, tcp and tls (CA from the certificate)", async () => {
      for (const [urls, tlsOptions] of transports) {
        const result = await probeTurn(turn(urls, coturn), { timeoutMs: 2000, tlsOptions });
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(result.url, urls);
        assert.equal(result.relayed.host, IP);
        assert.ok(result.relayed.port >= 49700 && result.relayed.port <= 49799);
        assertNoSecret(result, coturn.credential);
      }
    });

    await t.step(
      "wrong credentials: auth, fast (not the whole bound), over each transport",
      async () => {
        for (const [urls, tlsOptions] of transports) {
          const wrong = "wrong-credential-xyz";
          const result = await probeTurn(turn(urls, coturn, wrong), {
            timeoutMs: 2000,
            tlsOptions,
          });
          assert.ok(!result.ok && result.cause === "auth", JSON.stringify(result));
          assert.match(result.message, /^(401|441)/);
          assert.ok(result.ms < 1000, `${result.ms} ms`);
          assertNoSecret(result, wrong, coturn.credential);
        }
      },
    );

    await t.step("nothing listening (TCP, TLS): unreachable at once", async () => {
      const dead = freePort(IP);
      for (const urls of [`turn:${IP}:${dead}?transport=tcp`, `turns:${IP}:${dead}`]) {
        const result = await probeTurn(turn(urls, coturn), { timeoutMs: 2000 });
        assert.ok(!result.ok && result.cause === "unreachable", JSON.stringify(result));
        assert.ok(result.ms < 500, `${result.ms} ms`);
      }
    });

    await t.step("UDP dropped: timeout at the bound, not werift's 6.4 s", async () => {
      const drop = Deno.listenDatagram({ transport: "udp", hostname: IP, port: 0 });
      try {
        const urls = `turn:${IP}:${(drop.addr as Deno.NetAddr).port}`;
        const result = await probeTurn(turn(urls, coturn), { timeoutMs: 300 });
        assert.ok(!result.ok && result.cause === "timeout", JSON.stringify(result));
        assert.ok(result.ms >= 290 && result.ms < 600, `${result.ms} ms`);
      } finally {
        drop.close();
      }
    });

    await t.step("TLS with a certificate nobody trusts: tls", async () => {
      const result = await probeTurn(turn(`turns:${IP}:${coturn.tls.port}`, coturn), {
        timeoutMs: 2000,
      });
      assert.ok(!result.ok && result.cause === "tls", JSON.stringify(result));
      assert.match(result.message, /certificate/i);
    });
  } finally {
    await coturn.stop();
  }
});

Deno.test("classifyTurnError: STUN codes, socket errors, and the credential cut out", () => {
  const server = { credential: "s3cret-value" };
  const stun = (code: number, reason: string) => ({
    response: { getAttributeValue: (n: string) => n === "ERROR-CODE" ? [code, reason] : undefined },
  });
  assert.equal(classifyTurnError(stun(441, "Wrong Credentials"), server).cause, "auth");
  assert.equal(classifyTurnError(stun(486, "Allocation Quota Reached"), server).cause, "error");
  const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  assert.equal(classifyTurnError(refused, server).cause, "unreachable");
  const leaky = classifyTurnError(new Error("bad s3cret-value"), server);
  assert.ok(!leaky.message.includes("s3cret-value"));
});
