/**
 * Case 3 of issue 14: a NAT whose UDP mappings expire after 10 s of silence
 * (conntrack timeouts in the router's namespace; control in netns_test.ts),
 * symmetric so that an expired mapping could never come back on the same
 * port. The agent falls silent for 17 s; for the same stretch the router
 * drops the caller's RTP/RTCP before conntrack sees it (a muted caller), so
 * only what the bridge sends, and STUN answers to it, can keep the mapping.
 *
 * What keeps it open: the bridge never stops sending. Its outbound player
 * sends a packet every 20 ms, silence when the agent is quiet
 * (bridge/media/outbound_player.ts), and ICE consent checks (STUN) go out
 * besides (3-4 in the 17 s); the router counts both kinds during the stretch.
 * Either alone would do: with the bridge's RTP dropped too for the stretch
 * (an experiment, not kept), the consent checks, about one per 5 s, still
 * held the 10 s mapping and the call went on. Were the mapping
 * lost, the relay (which sends only to the nominated pair) would keep
 * sending to the dead port and the caller's tone would never reach the
 * agent again: the windows after the stretch would fail.
 */
import assert from "node:assert/strict";
import {
  holdInboundRtp,
  netnsTest,
  netnsUnavailable,
  routerCounter,
  withNatLab,
} from "../support/netns.ts";
import { AGENT_HZ, assertTonesBothWays, CALLER_HZ, runCall } from "./call_harness.ts";

const SILENT_FROM_S = 20;
const SILENT_FOR_S = 17;

netnsTest(
  "network: NAT mappings expiring after 10 s survive a 17 s silent stretch in a 60 s call",
  netnsUnavailable(),
  () =>
    withNatLab({ nat: "symmetric", udpTimeoutS: 10 }, async (lab) => {
      const counts: Record<string, number> = {};
      const sample = async (tag: string) => {
        counts[`${tag}_rtp`] = await routerCounter(lab, "out_rtp");
        counts[`${tag}_stun`] = await routerCounter(lab, "out_stun");
      };
      const res = await runCall(lab, {
        relayAddr: lab.publicAddrs[0]!,
        durationS: 62,
        node: { silentAfterS: SILENT_FROM_S, silentForS: SILENT_FOR_S },
        everySecond: async (s) => {
          if (s === SILENT_FROM_S - 1) {
            await holdInboundRtp(lab, true);
            await sample("start");
          }
          if (s === SILENT_FROM_S + SILENT_FOR_S - 1) {
            await sample("end");
            await holdInboundRtp(lab, false);
          }
        },
      });
      const skip: [number, number] = [SILENT_FROM_S - 1, SILENT_FROM_S + SILENT_FOR_S + 1];
      const w = assertTonesBothWays(res, 60, { skip });
      // The stretch was real: nothing of the agent's tone, nothing of the caller's RTP.
      const t0 = res.acceptedAt!;
      const inStretch = <T extends { at: number }>(xs: T[]) =>
        xs.filter((x) =>
          x.at > t0 + (SILENT_FROM_S + 2) * 1000 &&
          x.at < t0 + (SILENT_FROM_S + SILENT_FOR_S - 1) * 1000
        );
      const relayQuiet = inStretch(res.relayHeard);
      const agentQuiet = inStretch(res.agentHeard);
      assert.ok(relayQuiet.length >= 12, `${relayQuiet.length} s inside the stretch`);
      assert.ok(relayQuiet.every((s) => (s.tones[AGENT_HZ] ?? 0) === 0), "the agent was silent");
      const callerTone = agentQuiet.reduce((n, s) => n + (s.tones[CALLER_HZ] ?? 0), 0);
      assert.ok(callerTone <= 25, `the caller's RTP was held (${callerTone} frames of tone heard)`);
      // ...while the bridge kept sending on the mapping, and the relay heard it.
      const rtp = counts.end_rtp! - counts.start_rtp!;
      const stun = counts.end_stun! - counts.start_stun!;
      assert.ok(rtp >= 40 * (SILENT_FOR_S - 1), `bridge RTP during the stretch: ${rtp}`);
      assert.ok(
        relayQuiet.every((s) => s.rtp >= 40),
        "the relay heard silence packets each second",
      );
      assert.equal(
        res.pairs.length,
        1,
        `one mapping for the whole call: ${JSON.stringify(res.pairs)}`,
      );
      console.log(JSON.stringify({
        case: "nat_expiry",
        connectedMs: res.connectedMs,
        pair: res.pairs[0],
        stretch: { bridgeRtpOut: rtp, bridgeStunOut: stun, seconds: SILENT_FOR_S },
        windows: w,
      }));
    }),
);
