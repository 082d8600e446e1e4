/**
 * Case 4 of issue 14: UDP is blocked at the router (TCP passes; control in
 * netns_test.ts), so no UDP path between bridge and relay exists at all. With
 * a real coturn on the public side in ICE_SERVERS, over TCP and over TLS
 * (a throwaway CA, trusted through ICE_TURN_CA_FILE), the bridge allocates a
 * relay, announces it, and the call runs through it for a minute: the relay
 * sees the nominated pair's remote as coturn's relay address.
 *
 * Both transports run at once in two labs of their own, to keep the file ~70 s.
 */
import assert from "node:assert/strict";
import { natLab, netnsUnavailable, routerCounter } from "../support/netns.ts";
import { answerCandidates, assertTonesBothWays, runCall } from "./call_harness.ts";
import { coturnMissing, RELAY_PORTS, startCoturn, TURN_PASSWORD, TURN_USER } from "./coturn.ts";

const unavailable = netnsUnavailable() ?? coturnMissing();

async function turnCall(transport: "tcp" | "tls") {
  const lab = await natLab({ nat: "masquerade", blockUdp: true, publicAddrs: 2 });
  try {
    const turn = await startCoturn(lab, lab.publicAddrs[1]!);
    try {
      const urls = transport === "tcp"
        ? `turn:${turn.addr}:${turn.tcpPort}?transport=tcp`
        : `turns:${turn.addr}:${turn.tlsPort}`;
      const res = await runCall(lab, {
        relayAddr: lab.publicAddrs[0]!,
        durationS: 62,
        bridgeEnv: {
          ICE_SERVERS: JSON.stringify([{ urls, username: TURN_USER, credential: TURN_PASSWORD }]),
          ICE_TURN_CA_FILE: turn.caFile,
        },
      });
      const w = assertTonesBothWays(res, 60);
      const relay = answerCandidates(res.answer!).find((c) => c[2] === "relay");
      assert.ok(relay, `a relay candidate in the answer: ${res.answer}`);
      assert.equal(relay[0], turn.addr);
      const pair = res.pairs.at(-1);
      const [host, port] = (pair?.remote ?? ":").split(":");
      assert.equal(host, turn.addr, `media through coturn: ${JSON.stringify(res.pairs)}`);
      assert.ok(Number(port) >= RELAY_PORTS[0] && Number(port) <= RELAY_PORTS[1], pair?.remote);
      assert.equal(await routerCounter(lab, "in_udp"), 0, "not one UDP datagram crossed");
      const secretSeen = res.logs.some((l) => JSON.stringify(l).includes(TURN_PASSWORD));
      assert.ok(!secretSeen, "the TURN password never reaches a log line");
      return { transport, urls, answerMs: res.answerMs, connectedMs: res.connectedMs, pair, w };
    } finally {
      await turn.stop();
    }
  } finally {
    await lab.close();
  }
}

Deno.test({
  name: `network: UDP blocked, the call relays through coturn over TCP and over TLS for 60 s${
    unavailable ? ` [skipped: ${unavailable}]` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const results = await Promise.allSettled([turnCall("tcp"), turnCall("tls")]);
  for (const r of results) {
    if (r.status === "fulfilled") console.log(JSON.stringify({ case: "turn_relay", ...r.value }));
  }
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length > 0) throw (failed[0] as PromiseRejectedResult).reason;
});
