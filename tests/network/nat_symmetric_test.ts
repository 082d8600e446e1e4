/**
 * Case 2 of issue 14: the bridge behind a symmetric NAT (a new random port
 * for every destination; see the control in tests/support/netns_test.ts),
 * no PUBLIC_IP, no STUN/TURN. A STUN server's view of the mapping would be
 * useless here, yet the call works: Meta's relay is ICE-lite and learns the
 * mapping the bridge's own checks to it create (peer-reflexive).
 */
import assert from "node:assert/strict";
import { natLab, netnsUnavailable } from "../support/netns.ts";
import { answerCandidates, assertTonesBothWays, runCall } from "./call_harness.ts";

const unavailable = netnsUnavailable();

Deno.test({
  name: `network: behind a symmetric NAT, no PUBLIC_IP/STUN/TURN, a 60 s call carries tones${
    unavailable ? ` [skipped: ${unavailable}]` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const lab = await natLab({ nat: "symmetric" });
  try {
    const res = await runCall(lab, { relayAddr: lab.publicAddrs[0]!, durationS: 62 });
    const w = assertTonesBothWays(res, 60);
    const cands = answerCandidates(res.answer!);
    assert.deepEqual(cands.map((c) => c[2]), ["host"], JSON.stringify(cands));
    const pair = res.pairs.at(-1);
    assert.equal(pair?.type, "prflx", JSON.stringify(res.pairs));
    const [host, port] = pair!.remote.split(":");
    assert.equal(host, lab.routerPublicAddr, "media goes to the NAT mapping");
    assert.notEqual(port, cands[0]![1], "the NAT picked its own port (fully-random)");
    assert.equal(res.pairs.length, 1, "one nominated pair for the whole call");
    console.log(JSON.stringify({
      case: "symmetric",
      answerMs: res.answerMs,
      connectedMs: res.connectedMs,
      acceptedMs: res.acceptedMs,
      hostCandidate: cands[0],
      pair,
      windows: w,
    }));
  } finally {
    await lab.close();
  }
});
