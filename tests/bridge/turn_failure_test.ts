/**
 * A TURN server that refuses our credentials, or cannot be reached, never
 * holds the answer past the gathering budget (`ICE_GATHER_TIMEOUT_MS`), and
 * each call logs one `WEBRTC_TURN_ALLOCATION_FAILED` naming the server, with
 * its call id and never a credential. With several servers, a call that finds
 * the first one failing leaves the next call to start with the next one, and a
 * server that comes back is found again.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { loadConfig } from "../../bridge/config.ts";
import { createPeerFactory, TURN_RETRY_MS } from "../../bridge/webrtc/peer_factory.ts";
import { installWeriftPatches } from "../../bridge/webrtc/werift_patches.ts";
import type { WhatsAppPeer } from "../../bridge/webrtc/whatsapp_peer.ts";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { captureLogs, type LogCapture } from "../support/log_capture.ts";
import { startTestBridge } from "../support/test_bridge.ts";
import { until } from "../support/until.ts";
import { type Coturn, coturnMissing, startCoturn } from "../support/coturn.ts";
import { freePort, hostIp } from "../support/net.ts";

const IP = "127.0.0.1";
const BUDGET_MS = 800;
/** Timer and scheduling slack on this 2-core VM, on top of the budget. */
const SLACK_MS = 150;
const WRONG = "wrong-Credential-4242";
const HOST = hostIp();
/** Only plain TCP to coturn here: no TLS listener, so no openssl needed. */
const noCoturn = coturnMissing() !== undefined;

type IceEntry = { urls: string; username: string; credential: string };

function config(ice: IceEntry[]) {
  return loadConfig({
    VOICE_BRIDGE_SECRET: "test-bridge-secret-0123456789",
    ICE_SERVERS: JSON.stringify(ice),
    ICE_GATHER_TIMEOUT_MS: String(BUDGET_MS),
    ICE_INCLUDE_LOOPBACK: "true",
    ICE_ALLOW_PRIVATE_CANDIDATES: "true",
  });
}

/** One call answered by `factory`: the answer's time and the peer, closed with its caller. */
async function answerOnce(
  factory: ReturnType<typeof createPeerFactory>,
  callId: string,
): Promise<{ ms: number; peer: WhatsAppPeer; hasRelay: boolean }> {
  const caller = await WhatsAppCaller.create();
  try {
    const checked = validateWhatsAppOffer(caller.offerSdp);
    assert.ok(checked.ok);
    const started = performance.now();
    const peer = await factory(checked.offer, caller.offerSdp, callId);
    const ms = performance.now() - started;
    await peer.close();
    return { ms, peer, hasRelay: / typ relay/.test(peer.answerSdp) };
  } finally {
    await caller.close();
  }
}

function serialise(r: LogRecord): string {
  return JSON.stringify({ message: r.message, properties: r.properties });
}

function assertNoCredential(logs: LogCapture, ...secrets: string[]): void {
  for (const record of logs.records) {
    const line = serialise(record);
    for (const secret of secrets) assert.ok(!line.includes(secret), line);
  }
}

Deno.test({
  name:
    "wrong TURN credentials: answer inside the budget, one error naming the server, no secret [coturn]",
  ignore: noCoturn,
}, async () => {
  installWeriftPatches();
  const coturn = await startCoturn({ listen: [IP], relayPorts: [49800, 49850] });
  const logs = await captureLogs();
  try {
    const servers = [
      {
        urls: `turn:${IP}:${coturn.port}?transport=tcp`,
        username: coturn.username,
        credential: WRONG,
      },
    ];
    const factory = createPeerFactory(config(servers));
    const { ms, peer, hasRelay } = await answerOnce(factory, "wacid.turn-auth");
    assert.ok(ms < BUDGET_MS + SLACK_MS, `${ms} ms`);
    assert.equal(hasRelay, false);
    assert.ok(/ typ host/.test(peer.answerSdp), "host candidates still answered");
    const failed = logs.find("WEBRTC_TURN_ALLOCATION_FAILED");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.level, "error");
    assert.deepEqual(
      {
        callId: failed[0]!.properties.callId,
        server: failed[0]!.properties.server,
        transport: failed[0]!.properties.transport,
        cause: failed[0]!.properties.cause,
      },
      {
        callId: "wacid.turn-auth",
        server: `turn:${IP}:${coturn.port}?transport=tcp`,
        transport: "tcp",
        cause: "auth",
      },
    );
    assertNoCredential(logs, WRONG, coturn.username + ":");
  } finally {
    await logs.stop();
    await coturn.stop();
  }
});

Deno.test({
  name:
    "unreachable TURN (refused TCP, silent TLS, dropped UDP): answer within the budget, cause logged",
  sanitizeOps: false, // a timed-out UDP attempt's retransmissions end on their own, after the test
  sanitizeResources: false,
}, async (t) => {
  installWeriftPatches();
  const silent = Deno.listen({ hostname: IP, port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const drop = Deno.listenDatagram({ transport: "udp", hostname: IP, port: 0 });
  const logs = await captureLogs();
  const cases = [
    ["refused tcp", `turn:${IP}:${freePort(IP)}?transport=tcp`, "unreachable"],
    ["silent tls", `turns:${IP}:${silent.addr.port}`, "timeout"],
    ["silent tcp", `turn:${IP}:${silent.addr.port}?transport=tcp`, "timeout"],
    ["dropped udp", `turn:${IP}:${(drop.addr as Deno.NetAddr).port}`, "timeout"],
  ] as const;
  try {
    for (const [name, urls, cause] of cases) {
      await t.step(name, async () => {
        const before = logs.find("WEBRTC_TURN_ALLOCATION_FAILED").length;
        const factory = createPeerFactory(config([{ urls, username: "u", credential: WRONG }]));
        const { ms, hasRelay } = await answerOnce(factory, `wacid.${name.replace(" ", "-")}`);
        assert.ok(ms < BUDGET_MS + SLACK_MS, `${ms} ms`);
        assert.equal(hasRelay, false);
        const failed = logs.find("WEBRTC_TURN_ALLOCATION_FAILED").slice(before);
        assert.equal(failed.length, 1);
        assert.equal(failed[0]!.properties.server, urls);
        assert.equal(failed[0]!.properties.cause, cause);
      });
    }
    assertNoCredential(logs, WRONG);
  } finally {
    await logs.stop();
    drop.close();
    silent.close();
    await accepting;
    held.forEach((c) => c.close());
  }
});

Deno.test({
  name:
    "several TURN servers: a failed one goes last for the next call, and a recovered one first again [coturn]",
  ignore: noCoturn || !HOST,
}, async () => {
  installWeriftPatches();
  const good = await startCoturn({ listen: [HOST!], relayPorts: [49860, 49899] });
  const firstPort = freePort(HOST!);
  let clock = 1_000_000;
  const logs = await captureLogs();
  let first: Coturn | undefined;
  try {
    const creds = { username: good.username, credential: good.credential };
    const firstUrl = `turn:${HOST}:${firstPort}?transport=tcp`;
    const goodUrl = `turn:${HOST}:${good.port}?transport=tcp`;
    const factory = createPeerFactory(
      config([{ urls: firstUrl, ...creds }, { urls: goodUrl, ...creds }]),
      { now: () => clock },
    );

    // Call 1: the first server refuses; the same call falls back to the second.
    const one = await answerOnce(factory, "wacid.pick-1");
    assert.ok(one.hasRelay);
    assert.equal(one.peer.relayOutcome.kind, "relay");
    const skipped = logs.find("WEBRTC_TURN_SERVER_SKIPPED");
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.properties.server, firstUrl);
    assert.equal(skipped[0]!.properties.usedServer, goodUrl);
    assert.equal(logs.find("WEBRTC_TURN_ALLOCATION_FAILED").length, 0);
    assert.ok(factory.picker.failure(factory.picker.turn[0]!));

    // Call 2: starts with the second server, so the first is not even tried.
    const two = await answerOnce(factory, "wacid.pick-2");
    assert.ok(
      two.peer.relayOutcome.kind === "relay" && two.peer.relayOutcome.failures.length === 0,
    );
    assert.equal(two.peer.relayOutcome.result.url, goodUrl);
    assert.equal(logs.find("WEBRTC_TURN_SERVER_SKIPPED").length, 1);

    // The first server comes up; once TURN_RETRY_MS has passed a call's background probe finds it.
    first = await startCoturn({ listen: [HOST!], port: firstPort, relayPorts: [49900, 49949] });
    clock += TURN_RETRY_MS + 1;
    await answerOnce(factory, "wacid.pick-3");
    await until(
      () => logs.find("BRIDGE_TURN_SERVER_RECOVERED").length === 1,
      3000,
      "the background probe to find the first server again",
    );
    assert.equal(logs.find("BRIDGE_TURN_SERVER_RECOVERED")[0]!.properties.server, firstUrl);
    const four = await answerOnce(factory, "wacid.pick-4");
    assert.ok(four.peer.relayOutcome.kind === "relay");
    assert.equal(four.peer.relayOutcome.result.url, firstUrl);
    assertNoCredential(logs, good.credential);
  } finally {
    await logs.stop();
    await first?.stop();
    await good.stop();
  }
});

Deno.test({
  name:
    "POST /sessions with a dead TURN server: answered within the Edge Function's 1.5 s, error carries the call id",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  installWeriftPatches();
  const logs = await captureLogs();
  const drop = Deno.listenDatagram({ transport: "udp", hostname: IP, port: 0 });
  const turnUrl = `turn:${IP}:${(drop.addr as Deno.NetAddr).port}`;
  const { bridge, client } = startTestBridge({
    ICE_SERVERS: JSON.stringify([{ urls: turnUrl, username: "u", credential: WRONG }]),
  });
  const caller = await WhatsAppCaller.create();
  try {
    const started = performance.now();
    const { sessionId, sdp } = await client.createSession({
      callId: "wacid.dead-turn",
      phoneNumberId: "1",
      from: "16315550000",
      to: "16315550001",
      sdp: caller.offerSdp,
    });
    const ms = performance.now() - started;
    assert.ok(ms < 1500, `${ms} ms`);
    assert.ok(!/ typ relay/.test(sdp));
    const failed = logs.find("WEBRTC_TURN_ALLOCATION_FAILED");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.properties.callId, "wacid.dead-turn");
    assert.equal(failed[0]!.properties.server, turnUrl);
    // Host candidates still work: the call connects without the relay.
    await caller.applyAnswer(sdp);
    await caller.connected();
    await client.endSession(sessionId, "test_done");
    assertNoCredential(logs, WRONG);
  } finally {
    await caller.close();
    await bridge.close(0);
    drop.close();
    await logs.stop();
  }
});
