import assert from "node:assert/strict";
import { filterOfferCandidates } from "./candidate_filter.ts";

const candidate = (address: string, port = 3478) =>
  `a=candidate:1 1 udp 2122260223 ${address} ${port} typ host`;

const offer = (addresses: string[]) =>
  ["v=0", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", ...addresses.map((a) => candidate(a)), ""]
    .join("\r\n");

const INTERNAL = [
  "127.0.0.1",
  "10.0.0.5",
  "172.16.4.4",
  "192.168.1.1",
  "169.254.169.254",
  "100.64.0.1",
  "::1",
  "fe80::1",
  "fd00::1",
  "0.0.0.0",
  "::ffff:10.0.0.5",
  "metadata.internal",
  "abcd.local",
];

Deno.test("an offer's candidates into our own network are dropped; public ones kept byte for byte", () => {
  const sdp = offer(["157.240.22.1", ...INTERNAL, "2a03:2880:f10d:83:face:b00c:0:25de"]);
  const { sdp: out, dropped } = filterOfferCandidates(sdp, false);
  assert.deepEqual(dropped.map((d) => d.address), INTERNAL);
  const kept = out.split("\r\n").filter((l) => l.startsWith("a=candidate:"));
  assert.deepEqual(kept, [
    candidate("157.240.22.1"),
    candidate("2a03:2880:f10d:83:face:b00c:0:25de"),
  ]);
  assert.ok(out.startsWith("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"));
  assert.ok(out.endsWith("\r\n"));
});

Deno.test("the development flag keeps loopback and private candidates, never hostnames or 0.0.0.0", () => {
  const { dropped } = filterOfferCandidates(offer(INTERNAL), true);
  assert.deepEqual(dropped.map((d) => d.address), ["0.0.0.0", "metadata.internal", "abcd.local"]);
});

Deno.test("an offer with nothing to drop is returned unchanged; an unparsable candidate is dropped", () => {
  const clean = offer(["157.240.22.1"]);
  assert.equal(filterOfferCandidates(clean, false).sdp, clean);
  const broken = offer(["157.240.22.1"]).replace("a=mid:0", "a=mid:0\r\na=candidate:garbage");
  const { sdp, dropped } = filterOfferCandidates(broken, false);
  assert.deepEqual(dropped, [{ address: "", scope: "unparsable" }]);
  assert.ok(!sdp.includes("garbage"));
});
