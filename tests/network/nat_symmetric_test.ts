/**
 * Case 2 of issue 14: the bridge behind a symmetric NAT (a new random port
 * for every destination; see the control in tests/support/netns_test.ts),
 * no PUBLIC_IP, no STUN/TURN. A STUN server's view of the mapping would be
 * useless here, yet the call works: Meta's relay is ICE-lite and learns the
 * mapping the bridge's own checks to it create (peer-reflexive).
 */
import assert from "node:assert/strict";
import { netnsTest, netnsUnavailable, withNatLab } from "../support/netns.ts";
import { minuteCall, reportCase } from "./call_harness.ts";

netnsTest(
  "network: behind a symmetric NAT, no PUBLIC_IP/STUN/TURN, a 60 s call carries tones",
  netnsUnavailable(),
  () =>
    withNatLab({ nat: "symmetric" }, async (lab) => {
      const { res, windows, cands } = await minuteCall(lab);
      assert.deepEqual(cands.map((c) => c[2]), ["host"], JSON.stringify(cands));
      const pair = res.pairs.at(-1);
      assert.equal(pair?.type, "prflx", JSON.stringify(res.pairs));
      const [host, port] = pair!.remote.split(":");
      assert.equal(host, lab.routerPublicAddr, "media goes to the NAT mapping");
      assert.notEqual(port, cands[0]![1], "the NAT picked its own port (fully-random)");
      assert.equal(res.pairs.length, 1, "one nominated pair for the whole call");
      reportCase("symmetric", res, { hostCandidate: cands[0], pair, windows });
    }),
);
