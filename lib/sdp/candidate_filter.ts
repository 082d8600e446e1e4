/**
 * Keeps a remote offer's ICE candidates from pointing our connectivity checks
 * into our own network. A signed offer is still attacker-shaped input: with
 * candidates at 10.0.0.5:22 or 127.0.0.1:5432 the bridge would send STUN
 * there, a port scanner its operator never meant to run. Meta's relays have
 * public addresses, so in production only `public` candidates are checked;
 * local development (a caller on loopback) opts in to the rest.
 *
 * @module
 */
import { type AddressScope, addressScope } from "./ip_scope.ts";
import { parseCandidate } from "./sdp.ts";

/** Scopes a production offer may point at. */
const PUBLIC_ONLY: ReadonlySet<AddressScope> = new Set(["public"]);

/** What {@linkcode filterOfferCandidates} kept and dropped. */
export interface FilteredOffer {
  /** The offer without the dropped `a=candidate` lines. */
  sdp: string;
  /** Each dropped candidate's address and why, for the log. */
  dropped: { address: string; scope: AddressScope | "unparsable" }[];
}

/**
 * Drops every `a=candidate` line whose address is not public (loopback,
 * private, link-local, CGNAT, unique-local, unspecified, or a hostname we
 * would have to resolve), unless `allowPrivate`; unparsable candidate lines
 * are dropped too. Other lines are kept byte for byte.
 */
export function filterOfferCandidates(sdp: string, allowPrivate: boolean): FilteredOffer {
  const dropped: FilteredOffer["dropped"] = [];
  const lines = sdp.split(/\r?\n/);
  const kept = lines.filter((line) => {
    if (!line.startsWith("a=candidate:")) return true;
    const candidate = parseCandidate(line.slice(2));
    if (!candidate.ok) {
      dropped.push({ address: "", scope: "unparsable" });
      return false;
    }
    const scope = addressScope(candidate.value.address);
    if (allowPrivate && scope !== "unspecified" && scope !== "hostname") return true;
    if (PUBLIC_ONLY.has(scope)) return true;
    dropped.push({ address: candidate.value.address, scope });
    return false;
  });
  return { sdp: dropped.length === 0 ? sdp : kept.join("\r\n"), dropped };
}
