/**
 * Case 1 of issue 14: the bridge behind a plain NAT (masquerade) with no port
 * forwarding, no PUBLIC_IP and no STUN/TURN. The answer offers only the
 * private host address; the relay, ICE-lite like Meta's, learns the NAT's
 * public mapping from the bridge's connectivity checks (peer-reflexive) and
 * sends media there, so tones cross both ways for a minute.
 */
import assert from "node:assert/strict";
import { netnsTest, netnsUnavailable, withNatLab } from "../support/netns.ts";
import { minuteCall, reportCase } from "./call_harness.ts";

netnsTest(
  "network: behind a masquerading NAT, no PUBLIC_IP/STUN/TURN, a 60 s call carries tones",
  netnsUnavailable(),
  () =>
    withNatLab({ nat: "masquerade" }, async (lab) => {
      const { res, windows, cands } = await minuteCall(lab);
      assert.deepEqual(cands.map((c) => c[2]), ["host"], JSON.stringify(cands));
      assert.equal(cands[0]![0], lab.bridgeAddr, "only the private host address is announced");
      const pair = res.pairs.at(-1);
      assert.equal(pair?.type, "prflx", JSON.stringify(res.pairs));
      assert.equal(
        pair?.remote.split(":")[0],
        lab.routerPublicAddr,
        "media goes to the NAT mapping",
      );
      assert.equal(res.pairs.length, 1, "one nominated pair for the whole call");
      reportCase("masquerade", res, { pair, windows });
    }),
);
