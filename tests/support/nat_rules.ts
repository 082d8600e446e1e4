/**
 * The NAT lab's router rules (nftables) and the test-time switches and
 * counters on them. See `netns.ts` for the topology.
 *
 * @module
 */
import { mustRun } from "./command.ts";
import type { NatLab, NatLabOptions } from "./netns.ts";

/** The bridge's private address (`netns.ts` assigns it). */
export const BRIDGE_ADDR = "10.77.0.2";
/** With a 1:1 NAT, the router's public address mapped to the bridge. */
export const ONE_TO_ONE = "198.51.100.10";

/** The router's nftables rules for `opts`; counters name what crossed, for the tests. */
export function routerRuleset(opts: NatLabOptions): string {
  const nat = opts.nat === "one_to_one"
    ? [
      "chain prerouting {",
      "  type nat hook prerouting priority dstnat; policy accept;",
      `  iifname "wan0" ip daddr ${ONE_TO_ONE} dnat ip to ${BRIDGE_ADDR}`,
      "}",
      "chain postrouting {",
      "  type nat hook postrouting priority srcnat; policy accept;",
      `  oifname "wan0" ip saddr ${BRIDGE_ADDR} snat ip to ${ONE_TO_ONE}`,
      "}",
    ]
    : [
      "chain postrouting {",
      "  type nat hook postrouting priority srcnat; policy accept;",
      // fully-random: a fresh random port for every new 5-tuple, i.e. per destination.
      `  oifname "wan0" ip saddr 10.77.0.0/24 masquerade${
        opts.nat === "symmetric" ? " fully-random" : ""
      }`,
      "}",
    ];
  const forward = [
    "chain forward {",
    "  type filter hook forward priority filter; policy accept;",
    ...(opts.blockUdp ? ["  meta l4proto udp drop"] : []),
    `  iifname "lan1" meta l4proto udp counter name out_udp`,
    `  iifname "wan0" meta l4proto udp counter name in_udp`,
    // The first two bits of a UDP payload: 0 for STUN (RFC 5389), 2 for RTP/RTCP (RFC 7983).
    `  iifname "lan1" udp length > 8 @th,64,2 0 counter name out_stun`,
    `  iifname "lan1" udp length > 8 @th,64,2 2 counter name out_rtp`,
    // Nothing from outside opens a flow through a masquerading NAT.
    ...(opts.nat === "one_to_one" ? [] : [`  iifname "wan0" ct state new drop`]),
    "}",
  ];
  // Before conntrack (priority raw): what `holdInboundRtp` drops refreshes no mapping.
  const raw = [
    "chain raw_pre {",
    "  type filter hook prerouting priority raw; policy accept;",
    "}",
  ];
  return [
    "table ip lab {",
    ...["out_udp", "in_udp", "out_stun", "out_rtp"].map((c) => `counter ${c} {}`),
    ...raw,
    ...nat,
    ...forward,
    "}",
  ].join("\n") + "\n";
}

/** A counter of the router's forward chain: UDP out (bridge side to internet) and in. */
export type RouterCounter = "out_udp" | "in_udp" | "out_stun" | "out_rtp";

/**
 * Drops (`true`) or lets through again (`false`) RTP and RTCP coming in from
 * the internet, before conntrack sees them: the caller's side goes quiet, so
 * only what the bridge sends (and STUN answers to it) can keep its mapping.
 */
export async function holdInboundRtp(lab: NatLab, hold: boolean): Promise<void> {
  await lab.lab.nft(
    lab.ns.router,
    hold
      ? `add rule ip lab raw_pre iifname "wan0" udp length > 8 @th,64,2 2 drop\n`
      : "flush chain ip lab raw_pre\n",
  );
}

/** Packets counted so far by one of the router's counters. */
export async function routerCounter(lab: NatLab, name: RouterCounter): Promise<number> {
  const out = await mustRun("ip", [
    "netns",
    "exec",
    lab.ns.router,
    "nft",
    "list",
    "counter",
    "ip",
    "lab",
    name,
  ]);
  return Number(out.match(/packets (\d+)/)?.[1] ?? NaN);
}
