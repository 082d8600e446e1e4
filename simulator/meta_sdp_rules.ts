/**
 * The SDP rules Meta enforces on a calling answer or offer, checked line by
 * line so the fake stays independent of the SDP module under test, and an
 * answer that passes them.
 *
 * Meta reports SDP problems as code 100 with the exact issue in
 * `error_data.details` ("If it's an SDP validation related error then the
 * exact issue will be included in the details",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting).
 * 138008 "SDP Validation error", which implementers report, is not in Meta's
 * table, so the fake does not use it.
 *
 * @module
 */

import { invalid, type MetaFault } from "./meta_faults.ts";

/**
 * An SDP answer in the shape Meta documents (a=setup:active, one sha-256
 * fingerprint, Opus 111 and telephone-event 126, one SSRC); the fake accepts it.
 */
export const EXAMPLE_ANSWER_SDP = [
  "v=0",
  "o=- 1763512395 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE audio",
  "a=msid-semantic: WMS bridge",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:Zx4q",
  "a=ice-pwd:4bW1cQmK8yH0sNp2rT6vXa9d",
  "a=fingerprint:sha-256 " +
  "0B:3E:9D:51:7C:2A:4F:88:19:E6:D0:55:A3:7B:C4:12:6E:9F:80:3D:B2:47:11:CE:5A:08:F3:94:2C:D7:61:AB",
  "a=setup:active",
  "a=mid:audio",
  "a=sendrecv",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:1001 cname:bridge",
  "",
].join("\r\n");

const sdpInvalid = (issue: string): MetaFault => invalid(`SDP Validation error: ${issue}`);

/**
 * Meta's rules for a BUSINESS offer on top of {@linkcode checkSdp}: Opus
 * 48 kHz and telephone-event/8000 only, a single SSRC, `a=setup:actpass`,
 * ICE-full (no `a=ice-lite`) and candidates, since Meta does not trickle
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/integration-patterns).
 * Meta's own sample offer has no candidates; requiring them is the fake's
 * strict reading (a private-only or empty set gave silent calls in the field).
 */
export function checkBusinessOffer(sdp: string): MetaFault | undefined {
  const basic = checkSdp(sdp, "offer");
  if (basic) return basic;
  const lines = sdp.split(/\r?\n/).filter((l) => l !== "");
  const formats = lines.find((l) => l.startsWith("m=audio "))!.split(" ").slice(3);
  const extra = formats.filter((f) => f !== "111" && f !== "126");
  if (extra.length > 0) {
    return sdpInvalid(`only Opus and telephone-event may be offered, got ${extra.join(" ")}`);
  }
  if (!lines.some((l) => l.toLowerCase() === "a=rtpmap:126 telephone-event/8000")) {
    return sdpInvalid("missing a=rtpmap:126 telephone-event/8000");
  }
  const ssrcs = new Set(
    lines.filter((l) => l.startsWith("a=ssrc:")).map((l) => l.split(/[: ]/)[1]),
  );
  if (ssrcs.size !== 1) return sdpInvalid(`expected a single SSRC, found ${ssrcs.size}`);
  if (lines.find((l) => l.startsWith("a=setup:")) !== "a=setup:actpass") {
    return sdpInvalid("a business offer must be a=setup:actpass");
  }
  if (lines.includes("a=ice-lite")) {
    return sdpInvalid("the business must be ICE-full, not ice-lite");
  }
  if (!lines.some((l) => l.startsWith("a=candidate:"))) {
    return sdpInvalid("the offer carries no ICE candidate (Meta does not trickle)");
  }
  return undefined;
}

/** Line-level checks of what Meta rejects in an SDP offer or answer; undefined when acceptable. */
export function checkSdp(sdp: string, kind: "offer" | "answer"): MetaFault | undefined {
  const lines = sdp.split(/\r?\n/).filter((l) => l !== "");
  if (lines[0] !== "v=0") return invalid("SDP must start with v=0");
  const fingerprints = lines.filter((l) => l.startsWith("a=fingerprint:"));
  if (fingerprints.length !== 1) {
    return sdpInvalid(`expected exactly one a=fingerprint line, found ${fingerprints.length}`);
  }
  const algorithm = fingerprints[0]!.slice("a=fingerprint:".length).split(" ")[0]!.toLowerCase();
  if (algorithm !== "sha-256") return sdpInvalid(`unsupported fingerprint algorithm ${algorithm}`);
  const setup = lines.find((l) => l.startsWith("a=setup:"))?.slice("a=setup:".length);
  const roles = kind === "answer" ? ["active", "passive"] : ["actpass", "active", "passive"];
  if (setup === undefined || !roles.includes(setup)) {
    return invalid(`a=setup must be one of ${roles.join("|")} in an ${kind}, got ${setup}`);
  }
  const media = lines.find((l) => l.startsWith("m=audio "));
  if (media === undefined) return invalid("SDP has no m=audio line");
  if (!media.split(" ").slice(3).includes("111")) {
    return invalid("m=audio does not offer payload type 111 (Opus)");
  }
  if (!lines.some((l) => l.toLowerCase() === "a=rtpmap:111 opus/48000/2")) {
    return invalid("missing a=rtpmap:111 opus/48000/2");
  }
  if (
    !lines.some((l) => l.startsWith("a=ice-ufrag:")) ||
    !lines.some((l) => l.startsWith("a=ice-pwd:"))
  ) {
    return invalid("missing ICE credentials (a=ice-ufrag/a=ice-pwd)");
  }
  return undefined;
}
