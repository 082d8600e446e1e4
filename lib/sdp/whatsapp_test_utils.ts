/**
 * Shared by the `whatsapp_*_test.ts` files: a reference answer that passes
 * Meta's checklist, and throwing shortcuts for results. Test-only; pure, so
 * the fixtures are read by the tests themselves.
 *
 * @module
 */

import { parseSdp, type Sdp } from "./sdp.ts";
import { validateWhatsAppOffer, type WhatsAppOffer } from "./whatsapp_offer.ts";

/**
 * Passes every check of Meta's checklist: what shaping produces for Meta's
 * production offer (`meta_aiortc_offer.sdp`).
 */
export const GOOD_ANSWER: string = [
  "v=0",
  "o=- 38747271 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE audio",
  "a=msid-semantic:WMS *",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2116026367 10.0.0.5 40001 typ host generation 0",
  "a=candidate:2 1 udp 2116026367 2001:db8::5 40002 typ host generation 0",
  "a=end-of-candidates",
  "a=ice-ufrag:ab4d",
  "a=ice-pwd:1c70ad821c6e75b2c528e2",
  "a=fingerprint:sha-256 70:FF:1F:8F:09:A9:DD:50:96:F0:D9:C8:63:60:05:49:54:CE:61:72:30:B4:07:BA:DE:A7:32:EF:14:BA:1A:26",
  "a=setup:active",
  "a=sendrecv",
  "a=mid:audio",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=rtcp-mux",
  "a=ssrc:1489085448 cname:e030444e-93f7-4284-a036-1a8b5cf1608d",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1",
  "a=rtpmap:126 telephone-event/8000",
  "",
].join("\r\n");

/** The validated offer; throws with the validation errors otherwise. */
export function offerOf(sdp: string): WhatsAppOffer {
  const result = validateWhatsAppOffer(sdp);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.offer;
}

/** The parsed SDP; throws when it does not parse. */
export function parsed(sdp: string): Sdp {
  const result = parseSdp(sdp);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Values of the single media section's lines starting with `prefix`, for compact assertions. */
export function mediaValues(sdp: string, prefix: string): string[] {
  return parsed(sdp).media[0]!.filter((l) => l.value.startsWith(prefix)).map((l) => l.value);
}
