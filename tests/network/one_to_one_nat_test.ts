/**
 * Case 6 of issue 14, today's documented setup: a cloud VM whose only
 * address is private, behind a 1:1 NAT (every port of a public address
 * forwarded, source ports kept; see the control in netns_test.ts), with
 * `PUBLIC_IP` set to that public address. The answer announces PUBLIC_IP in
 * place of the private host address, and the relay's nominated pair is that
 * very candidate (type host, not a learned prflx).
 */
import assert from "node:assert/strict";
import { netnsTest, netnsUnavailable, withNatLab } from "../support/netns.ts";
import { minuteCall, reportCase } from "./call_harness.ts";

netnsTest(
  "network: private host behind 1:1 NAT with PUBLIC_IP, a 60 s call carries tones",
  netnsUnavailable(),
  () =>
    withNatLab({ nat: "one_to_one" }, async (lab) => {
      const publicIp = lab.oneToOneAddr!;
      const { res, windows, cands } = await minuteCall(lab, { PUBLIC_IP: publicIp });
      assert.deepEqual(cands.map((c) => [c[0], c[2]]), [[publicIp, "host"]], JSON.stringify(cands));
      assert.ok(!res.answer!.includes(lab.bridgeAddr), "the private address is not announced");
      assert.match(res.answer!, new RegExp(`^c=IN IP4 ${publicIp.replaceAll(".", "\\.")}$`, "m"));
      const pair = res.pairs.at(-1);
      assert.equal(pair?.remote, `${publicIp}:${cands[0]![1]}`, JSON.stringify(res.pairs));
      assert.equal(pair?.type, "host", "the relay reached the announced candidate itself");
      reportCase("one_to_one", res, { hostCandidate: cands[0], pair, windows });
    }),
);
