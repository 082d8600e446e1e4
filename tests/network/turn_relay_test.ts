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
import { coturnMissing } from "../support/coturn.ts";
import { netnsTest, netnsUnavailable, routerCounter, withNatLab } from "../support/netns.ts";
import { labCoturn, minuteCall } from "./call_harness.ts";

function turnCall(transport: "tcp" | "tls") {
  return withNatLab({ nat: "masquerade", blockUdp: true, publicAddrs: 2 }, async (lab) => {
    const turn = await labCoturn(lab, lab.publicAddrs[1]!);
    try {
      const urls = transport === "tcp"
        ? `turn:${turn.ip}:${turn.port}?transport=tcp`
        : `turns:${turn.ip}:${turn.tls.port}`;
      const { username, credential } = turn;
      const { res, windows: w, cands } = await minuteCall(lab, {
        ICE_SERVERS: JSON.stringify([{ urls, username, credential }]),
        ICE_TURN_CA_FILE: turn.tls.caFile,
      });
      const relay = cands.find((c) => c[2] === "relay");
      assert.ok(relay, `a relay candidate in the answer: ${res.answer}`);
      assert.equal(relay[0], turn.ip);
      const pair = res.pairs.at(-1);
      const [host, port] = (pair?.remote ?? ":").split(":");
      assert.equal(host, turn.ip, `media through coturn: ${JSON.stringify(res.pairs)}`);
      const [min, max] = turn.relayPorts;
      assert.ok(Number(port) >= min && Number(port) <= max, pair?.remote);
      assert.equal(await routerCounter(lab, "in_udp"), 0, "not one UDP datagram crossed");
      const secretSeen = res.logs.some((l) => JSON.stringify(l).includes(credential));
      assert.ok(!secretSeen, "the TURN password never reaches a log line");
      return { transport, urls, answerMs: res.answerMs, connectedMs: res.connectedMs, pair, w };
    } finally {
      await turn.stop();
    }
  });
}

netnsTest(
  "network: UDP blocked, the call relays through coturn over TCP and over TLS for 60 s",
  netnsUnavailable() ?? coturnMissing({ tls: true }),
  async () => {
    const results = await Promise.allSettled([turnCall("tcp"), turnCall("tls")]);
    for (const r of results) {
      if (r.status === "fulfilled") console.log(JSON.stringify({ case: "turn_relay", ...r.value }));
    }
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) throw (failed[0] as PromiseRejectedResult).reason;
  },
);
