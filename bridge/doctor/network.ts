/**
 * The doctor's network rows: UDP egress and the public address STUN sees,
 * the NAT's mapping behaviour, and whether `PUBLIC_IP` is that address.
 * The probe is injected; {@linkcode networkRows} only turns its result into
 * rows and fixes.
 *
 * @module
 */
import { type CheckRow, fail, ok, skip } from "./check.ts";
import type { NatMappingResult } from "../network/nat_mapping.ts";
import type { StunResult } from "../network/stun_probe.ts";

const GROUP = "network";

/** What the network rows are built from. */
export interface NetworkFacts {
  /** The STUN servers asked, as `host:port`. */
  servers: readonly string[];
  /** Two servers asked from one socket (see `probeNatMapping`). */
  probe: NatMappingResult;
  /** `PUBLIC_IP`, if set. */
  publicIp: string | undefined;
  /** This host's IPv4 interface addresses. */
  localAddresses: readonly string[];
}

/** The first address STUN saw, if any server answered. */
export function firstMapped(results: readonly StunResult[]): StunResult & { ok: true } | undefined {
  return results.find((r): r is StunResult & { ok: true } => r.ok);
}

/** UDP egress, NAT mapping and `PUBLIC_IP` rows. */
export function networkRows(facts: NetworkFacts): CheckRow[] {
  return [egressRow(facts), mappingRow(facts), publicIpRow(facts)];
}

function egressRow({ probe, servers }: NetworkFacts): CheckRow {
  const name = "UDP egress (STUN)";
  if (servers.length === 0) return skip(GROUP, name, "STUN_SERVERS is empty");
  const seen = firstMapped(probe.results);
  if (seen) {
    return ok(
      GROUP,
      name,
      `${seen.server} sees ${seen.mapped.host}:${seen.mapped.port} (${seen.ms} ms)`,
    );
  }
  const failures = probe.results.filter((r): r is StunResult & { ok: false } => !r.ok);
  const detail = failures.map((r) => `${r.server}: ${r.cause}`).join("; ");
  return fail(GROUP, name, `no STUN server answered (${detail})`, egressFix(failures));
}

/** The fix for the most telling failure: no route, then DNS, then silence. */
export function egressFix(failures: readonly { cause: string }[]): string {
  const causes = new Set(failures.map((f) => f.cause));
  if (causes.has("unreachable")) {
    return "this host has no route to the internet: give it a default route (check the container's network mode) and allow outbound UDP";
  }
  if (causes.has("dns") && !causes.has("timeout")) {
    return "the STUN servers' names do not resolve: fix DNS (/etc/resolv.conf) or set STUN_SERVERS to ip:port";
  }
  return "outbound UDP is blocked or dropped: allow UDP egress to any address (Meta's media relays), at least from RTP_PORT_MIN–RTP_PORT_MAX, and to the STUN servers' ports";
}

function mappingRow({ probe, servers }: NetworkFacts): CheckRow {
  const name = "NAT mapping";
  if (servers.length < 2) return skip(GROUP, name, "needs two STUN_SERVERS");
  switch (probe.mapping) {
    case "none":
      return ok(GROUP, name, `no NAT: ${probe.reason}`);
    case "endpoint-independent":
      return ok(GROUP, name, `endpoint-independent: ${probe.reason}`);
    case "endpoint-dependent":
      // Not a fault with Meta: its ICE-lite relay answers our checks from whatever port the
      // NAT picks and sends media back there (tests/network/nat_symmetric_test.ts).
      return ok(
        GROUP,
        name,
        `endpoint-dependent (symmetric NAT): ${probe.reason}; fine for calls, since Meta answers ` +
          "whichever port our checks come from (no fixed public address describes this NAT)",
      );
    case "unknown":
      return skip(GROUP, name, `not measured: ${probe.reason}`);
  }
}

function publicIpRow({ probe, publicIp, localAddresses }: NetworkFacts): CheckRow {
  const name = "PUBLIC_IP";
  const seen = firstMapped(probe.results);
  if (publicIp === undefined) {
    if (!seen) return skip(GROUP, name, "unset, and STUN saw no address");
    return localAddresses.includes(seen.mapped.host)
      ? skip(GROUP, name, `unset; not needed, ${seen.mapped.host} is this host's own address`)
      : skip(
        GROUP,
        name,
        `unset; STUN sees ${seen.mapped.host}, not on this host: set PUBLIC_IP=${seen.mapped.host} on a 1:1 NAT host`,
      );
  }
  if (!seen) return skip(GROUP, name, `${publicIp} set; STUN saw no address to compare`);
  if (seen.mapped.host === publicIp) return ok(GROUP, name, `${publicIp} is what STUN sees`);
  return fail(
    GROUP,
    name,
    `PUBLIC_IP is ${publicIp} but STUN sees ${seen.mapped.host}`,
    `set PUBLIC_IP=${seen.mapped.host} (the address the internet sees), or unset it if traffic leaves through another gateway on purpose`,
  );
}
