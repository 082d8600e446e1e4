/**
 * NAT mapping behaviour (RFC 4787 §4.1, the test of RFC 5780 §4.3): one local
 * socket asks two STUN servers on different addresses what they see. The
 * same public address and port for both means the NAT maps endpoint-
 * independently, so a peer can reach the address any server saw; different
 * ports mean an endpoint-dependent ("symmetric") NAT, where only TURN or a
 * 1:1 NAT (`PUBLIC_IP`) makes the bridge reachable.
 *
 * @module
 */
import {
  type BindingOptions,
  type Endpoint,
  StunClient,
  type StunResult,
  type StunServer,
} from "./stun_probe.ts";

/** How the host's NAT maps one socket towards different destinations. */
export type NatMapping =
  /** The servers saw the socket's own address: no NAT on the way out. */
  | "none"
  | "endpoint-independent"
  | "endpoint-dependent"
  /** Fewer than two answers, or both servers on one address: nothing to compare. */
  | "unknown";

/** The verdict and what it rests on. */
export interface NatMappingResult {
  mapping: NatMapping;
  /** Why, in a line an operator reads. */
  reason: string;
  /** Each server's answer, in the order asked. */
  results: StunResult[];
}

const show = (e: Endpoint) => `${e.host}:${e.port}`;

/**
 * Classifies from two Binding results taken from ONE local socket (`local`
 * is its address; `localAddresses` are the host's interface addresses, for
 * telling "no NAT" apart when the socket is bound to 0.0.0.0).
 */
export function classifyMapping(
  a: StunResult,
  b: StunResult,
  localAddresses: readonly string[] = [],
): { mapping: NatMapping; reason: string } {
  if (!a.ok || !b.ok) {
    const answered = [a, b].filter((r) => r.ok).length;
    return { mapping: "unknown", reason: `${answered} of 2 STUN servers answered` };
  }
  if (a.address === b.address) {
    return { mapping: "unknown", reason: `both STUN servers are at ${a.address}` };
  }
  const same = a.mapped.host === b.mapped.host && a.mapped.port === b.mapped.port;
  if (same && localAddresses.includes(a.mapped.host) && a.mapped.port === a.local.port) {
    return { mapping: "none", reason: `the servers see this host's own ${show(a.mapped)}` };
  }
  if (same) {
    return {
      mapping: "endpoint-independent",
      reason: `${a.server} and ${b.server} both see ${show(a.mapped)}`,
    };
  }
  return {
    mapping: "endpoint-dependent",
    reason: `${a.server} sees ${show(a.mapped)}, ${b.server} sees ${show(b.mapped)}`,
  };
}

/** This host's IPv4 interface addresses. */
export function interfaceAddresses(): string[] {
  return Deno.networkInterfaces().filter((i) => i.family === "IPv4").map((i) => i.address);
}

/**
 * Asks the first two `servers` from one socket, at the same time, and
 * classifies the mapping. Fewer than two servers gives `unknown`.
 */
export async function probeNatMapping(
  servers: readonly StunServer[],
  options: BindingOptions & { localAddresses?: readonly string[] },
): Promise<NatMappingResult> {
  const client = StunClient.open();
  try {
    const results = await Promise.all(servers.slice(0, 2).map((s) => client.binding(s, options)));
    const [a, b] = results;
    if (a === undefined || b === undefined) {
      return { mapping: "unknown", reason: "two STUN servers are needed", results };
    }
    return {
      ...classifyMapping(a, b, options.localAddresses ?? interfaceAddresses()),
      results,
    };
  } finally {
    client.close();
  }
}
