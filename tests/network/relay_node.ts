/**
 * The fake Meta relay as a process inside a test's "public" namespace:
 * a {@linkcode WhatsAppCaller} (werift ICE-lite: it answers checks from any
 * source, learns that source as a peer-reflexive candidate and sends media
 * only on the pair the bridge nominated) that speaks tone `--hz` throughout.
 *
 * Talks to the test over JSON lines only (`../support/json_lines.ts`):
 * out `{offer}`, `{connected, at}`, `{pair: {remote, type}}`, `{heard: ToneSecond}`
 * every second, `{dropped}`; in `{answer}`, `{close}`.
 *
 * Usage: deno run -A relay_node.ts <relay-address> <hz> <other-hz> [media-timeout-ms]
 *
 * @module
 */
import { RTCPeerConnection } from "werift";
import { OpusEncoder } from "../../lib/audio/opus.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { emit, stdinLines } from "../support/json_lines.ts";
import { loopedTone, ToneCounter } from "./tone_count.ts";

const [address = "", hzArg = "440", otherArg = "1000", timeoutArg = "20000"] = Deno.args;
const hz = Number(hzArg);
setTimeout(() => Deno.exit(3), 600_000);

// WhatsAppCaller keeps its peer private; the nominated pair is what this test is about.
const peers: RTCPeerConnection[] = [];
const setRemote = RTCPeerConnection.prototype.setRemoteDescription;
RTCPeerConnection.prototype.setRemoteDescription = function (this: RTCPeerConnection, d) {
  peers.push(this);
  return setRemote.call(this, d);
};

const encoder = new OpusEncoder();
const voice = loopedTone((pcm) => encoder.encode(pcm), hz);
const caller = await WhatsAppCaller.create({
  opusVoice: (i) => voice[i % voice.length]!,
  mediaTimeoutMs: Number(timeoutArg),
});
emit({ offer: onlyAddress(caller.offerSdp, address) });
caller.onDropped((d) => emit({ dropped: d.code, reason: d.reason, at: Date.now() }));

const counter = new ToneCounter(caller.heard, [hz, Number(otherArg)]);
let lastPair = "";
const tick = setInterval(() => {
  const second = counter.take();
  // Packets of any payload type heard this second; cleared so a long call stays flat.
  const rtp = caller.heardRtp.length;
  caller.heardRtp.length = 0;
  caller.heardAt.length = 0;
  emit({ heard: { ...second, rtp }, at: Date.now() });
  const pair = nominated();
  if (pair && pair !== lastPair) {
    lastPair = pair;
    emit({ pair: JSON.parse(pair), at: Date.now() });
  }
}, 1000);

for await (const cmd of stdinLines()) {
  if (typeof cmd.answer === "string") {
    await caller.applyAnswer(cmd.answer);
    void caller.connected(30_000).then(
      () => emit({ connected: true, at: Date.now() }),
      () => emit({ connected: false, at: Date.now() }),
    );
  }
  if (cmd.close) break;
}
clearInterval(tick);
await caller.close();
emit({ closed: true });
Deno.exit(0);

/** Meta offers one candidate: keep only those on the relay's address (the ns has several). */
function onlyAddress(sdp: string, addr: string): string {
  return sdp.split("\r\n").filter((l) => !l.startsWith("a=candidate:") || l.split(" ")[4] === addr)
    .map((l) => l.startsWith("c=IN IP4 ") ? `c=IN IP4 ${addr}` : l).join("\r\n");
}

/** The nominated pair's remote end as the relay sees it, as JSON text, or undefined. */
function nominated(): string | undefined {
  const ice = peers[0]?.iceTransports[0];
  const pair = ice?.connection.candidatePairs.find((p) => p.nominated);
  if (!pair) return undefined;
  const r = pair.remoteCandidate;
  return JSON.stringify({
    remote: `${r.host}:${r.port}`,
    type: r.type,
    local: pair.localCandidate.host,
  });
}
