/**
 * The doctor's RTP port range row: a bounded sample of `RTP_PORT_MIN`–
 * `RTP_PORT_MAX` (both ends and a few spread between) must bind, and the
 * range must hold `MAX_SESSIONS` calls. werift takes one UDP socket per
 * gathered host address and one per TURN server for every call, each the
 * first free port of the range.
 *
 * @module
 */
import { type CheckRow, fail, ok, skip } from "./check.ts";

const GROUP = "ports";

/** How many ports between the ends are tried. */
export const SPREAD_SAMPLES = 6;

/** Binds a UDP port on all addresses and releases it; throws when it cannot. */
export type BindUdp = (port: number) => void;

/** The real bind. */
export const bindUdp: BindUdp = (port) => {
  Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port }).close();
};

/** `min`, `max` and {@linkcode SPREAD_SAMPLES} ports evenly between, without repeats. */
export function samplePorts(min: number, max: number, spread = SPREAD_SAMPLES): number[] {
  const step = (max - min) / (spread + 1);
  const between = Array.from({ length: spread }, (_, i) => Math.round(min + step * (i + 1)));
  return [...new Set([min, ...between, max])].sort((a, b) => a - b);
}

/** What the range row needs. */
export interface PortFacts {
  range: [number, number] | undefined;
  maxSessions: number;
  /** Sockets a call takes: host addresses gathered plus TURN servers. */
  socketsPerCall: number;
  bind?: BindUdp;
}

/** The RTP port range row. */
export function checkPorts(facts: PortFacts): CheckRow {
  const name = "RTP port range";
  if (!facts.range) {
    return skip(
      GROUP,
      name,
      "RTP_PORT_MIN/MAX unset: the OS picks any free UDP port (the firewall must allow them all)",
    );
  }
  const [min, max] = facts.range;
  const bind = facts.bind ?? bindUdp;
  const ports = samplePorts(min, max);
  const refused: string[] = [];
  let inUse = 0;
  for (const port of ports) {
    try {
      bind(port);
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) inUse++;
      else refused.push(`${port} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const size = max - min + 1;
  const calls = Math.floor(size / Math.max(1, facts.socketsPerCall));
  const capacity = `${size} ports, about ${calls} concurrent calls at ${facts.socketsPerCall} ` +
    `socket${facts.socketsPerCall === 1 ? "" : "s"} a call`;
  if (refused.length > 0) {
    return fail(
      GROUP,
      name,
      `${min}–${max}: cannot bind ${refused.join(", ")}`,
      "run the bridge where it may bind these UDP ports (container port mapping, SELinux/AppArmor, ip_local_reserved_ports), or choose another range",
    );
  }
  if (inUse * 2 > ports.length) {
    return fail(
      GROUP,
      name,
      `${min}–${max}: ${inUse} of ${ports.length} sampled ports already in use`,
      "another service holds this range: give the bridge a range of its own",
    );
  }
  if (calls < facts.maxSessions) {
    return fail(
      GROUP,
      name,
      `${min}–${max}: ${capacity}, below MAX_SESSIONS=${facts.maxSessions}`,
      `widen the range to at least ${
        facts.maxSessions * facts.socketsPerCall
      } ports (and open it in the firewall), or lower MAX_SESSIONS`,
    );
  }
  const busy = inUse > 0 ? `; ${inUse} sampled in use (live calls?)` : "";
  return ok(GROUP, name, `${min}–${max}: ${ports.length} sampled ports bind; ${capacity}${busy}`);
}
