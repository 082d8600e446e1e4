/**
 * Reachability scope of an IP literal, to decide which ICE candidates a peer
 * on the public Internet (Meta's media relays) could ever reach.
 *
 * @module
 */

/**
 * - `loopback`: 127/8, ::1
 * - `link-local`: 169.254/16, fe80::/10
 * - `private`: RFC 1918 (10/8, 172.16/12, 192.168/16)
 * - `cgnat`: 100.64/10 (RFC 6598: carrier NAT, and the Tailscale IPv4 range)
 * - `tailscale`: fd7a:115c:a1e0::/48
 * - `unique-local`: the rest of fc00::/7
 * - `unspecified`: 0.0.0.0, ::
 * - `public`: any other IP literal
 * - `hostname`: not an IP literal (FQDN or mDNS `.local` name)
 */
export type AddressScope =
  | "loopback"
  | "link-local"
  | "private"
  | "cgnat"
  | "tailscale"
  | "unique-local"
  | "unspecified"
  | "public"
  | "hostname";

/** The four octets of a dotted-quad IPv4 literal, or `undefined`. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part[0] === "0")) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

/** The eight 16-bit groups of an IPv6 literal (zone id allowed), or `undefined`. */
export function parseIPv6(text: string): number[] | undefined {
  const address = text.split("%")[0]!;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** 4 or 6 for an IP literal, `undefined` for anything else. */
export function ipFamily(address: string): 4 | 6 | undefined {
  if (parseIPv4(address)) return 4;
  if (parseIPv6(address)) return 6;
  return undefined;
}

function scopeOfIPv4([a, b, c, d]: number[]): AddressScope {
  if (a === 0 && b === 0 && c === 0 && d === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 169 && b === 254) return "link-local";
  if (a === 10 || (a === 172 && (b! & 0xf0) === 16) || (a === 192 && b === 168)) return "private";
  if (a === 100 && (b! & 0xc0) === 64) return "cgnat";
  return "public";
}

/** Classifies an address as it appears in a candidate or `c=` line. */
export function addressScope(address: string): AddressScope {
  const v4 = parseIPv4(address);
  if (v4) return scopeOfIPv4(v4);
  const g = parseIPv6(address);
  if (!g) return "hostname";
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // ::ffff:a.b.c.d is an IPv4 address in disguise.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return scopeOfIPv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]);
  }
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if (g[0] === 0xfd7a && g[1] === 0x115c && g[2] === 0xa1e0) return "tailscale";
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique-local";
  return "public";
}
