/**
 * "No STUN/TURN configured" (case 1's setup) must mean the bridge asks no
 * one: werift falls back to its built-in STUN server (stun.l.google.com:19302)
 * when none is given, which costs a DNS lookup and a STUN exchange per call
 * and, where DNS or UDP to it hangs (an egress firewall, a resolver that does
 * not answer), holds the answer for werift's 5 s STUN gathering timeout: past
 * the Edge Function's 1.5 s deadline, so every call is rejected.
 *
 * The lab's bridge namespace resolves through 127.0.0.1 (tests/support/netns.ts);
 * here a catcher listens there and never answers, like a black-holed resolver.
 */
import assert from "node:assert/strict";
import { JsonLines } from "../support/json_lines.ts";
import { netnsTest, netnsUnavailable, withNatLab } from "../support/netns.ts";
import { runCall } from "./call_harness.ts";

const PROBE = new URL("../support/net_probe.ts", import.meta.url).pathname;

netnsTest(
  "network: with no STUN/TURN configured the bridge looks up no STUN server and answers in time",
  netnsUnavailable(),
  () =>
    withNatLab({ nat: "masquerade" }, async (lab) => {
      const dns = lab.lab.spawn(lab.ns.bridge, Deno.execPath(), [
        "run",
        "-A",
        PROBE,
        "udp",
        "127.0.0.1",
        "53",
      ]);
      const queries = new JsonLines(dns.child.stdout);
      await queries.next((l) => "ready" in l, 10_000, "DNS catcher");
      const res = await runCall(lab, { relayAddr: lab.publicAddrs[0]!, durationS: 2 });
      // DNS names travel as length-prefixed labels: make them readable.
      // From the offer on: the node's warm-up (its own throwaway peer) is not the call.
      const names = queries.lines.filter((l) => "from" in l && Number(l.at) >= res.offerAt).map((
        l,
      ) => String(l.data).replace(/[^a-z0-9-]+/gi, "."));
      console.log(JSON.stringify({ answerMs: res.answerMs, rejected: res.rejected, names }));
      assert.deepEqual(names, [], "the bridge looked up a name nobody configured");
      assert.ok(res.answerMs !== undefined && res.answerMs < 1500, JSON.stringify(res.rejected));
      assert.ok(res.acceptedMs !== undefined, "the call was accepted");
    }),
);
