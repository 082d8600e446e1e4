/**
 * Optional TURN (`ICE_SERVERS`): with a real coturn server, the bridge gathers
 * a relay candidate over UDP, over TCP (`?transport=tcp`) and over TLS
 * (`turns:`, a self-signed certificate trusted through `ICE_TURN_CA_FILE`'s
 * TLS options) and announces it in the answer it gives Meta, inside the
 * gathering budget.
 */
import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppPeer } from "../../bridge/webrtc/whatsapp_peer.ts";
import { installWeriftPatches } from "../../bridge/webrtc/werift_patches.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { coturnMissing, startCoturn } from "../support/coturn.ts";
import { hostIp } from "../support/net.ts";

const RELAY_PORTS: [number, number] = [49300, 49400];
/** The answer never announces loopback addresses, so the relay needs a real interface. */
const HOST = hostIp();
const unavailable = coturnMissing({ tls: true }) !== undefined || !HOST;

Deno.test({
  name: "bridge gathers a TURN relay candidate over udp, tcp and tls [coturn]",
  ignore: unavailable,
}, async (t) => {
  installWeriftPatches();
  const coturn = await startCoturn({ listen: [HOST!], relayPorts: RELAY_PORTS, tls: {} });
  try {
    for (
      const [transport, urls] of [
        ["udp", `turn:${HOST}:${coturn.port}`],
        ["tcp", `turn:${HOST}:${coturn.port}?transport=tcp`],
        ["tls", `turns:${HOST}:${coturn.tls.port}`],
      ] as const
    ) {
      await t.step(transport, async () => {
        const caller = await WhatsAppCaller.create();
        let peer: WhatsAppPeer | undefined;
        try {
          const checked = validateWhatsAppOffer(caller.offerSdp);
          assert.ok(checked.ok);
          const started = performance.now();
          peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
            iceServers: [{ urls, username: coturn.username, credential: coturn.credential }],
            turnTlsOptions: { ca: coturn.tls.caPem },
            gatherTimeoutMs: 800,
            allowPrivateCandidates: true,
          });
          assert.ok(performance.now() - started < 800 + 100);
          const relay = peer.answerSdp.split("\r\n").find((l) =>
            l.startsWith("a=candidate:") && l.includes(" typ relay")
          );
          assert.ok(relay, peer.answerSdp);
          assert.equal(relay.split(" ")[4], HOST);
          const relayPort = Number(relay.split(" ")[5]);
          assert.ok(relayPort >= RELAY_PORTS[0] && relayPort <= RELAY_PORTS[1], relay);
          assert.equal(peer.relayOutcome.kind, "relay");
          assert.ok(
            peer.relayOutcome.kind === "relay" && peer.relayOutcome.result.transport === transport,
          );
        } finally {
          await peer?.close();
          await caller.close();
        }
      });
    }
  } finally {
    await coturn.stop();
  }
});

Deno.test({
  name:
    "a call connects and carries media through the TURN relay alone, over tcp and over tls [coturn]",
  ignore: unavailable,
}, async (t) => {
  installWeriftPatches();
  const coturn = await startCoturn({ listen: [HOST!], relayPorts: [49401, 49499], tls: {} });
  try {
    for (
      const [transport, urls] of [
        ["tcp", `turn:${HOST}:${coturn.port}?transport=tcp`],
        ["tls", `turns:${HOST}:${coturn.tls.port}`],
      ] as const
    ) {
      await t.step(transport, async () => {
        const caller = await WhatsAppCaller.create({ decode: false });
        let peer: WhatsAppPeer | undefined;
        try {
          const checked = validateWhatsAppOffer(caller.offerSdp);
          assert.ok(checked.ok);
          peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
            iceServers: [{ urls, username: coturn.username, credential: coturn.credential }],
            turnTlsOptions: { ca: coturn.tls.caPem },
            allowPrivateCandidates: true,
            // Host pairs are never checked: only the relay can connect the call.
            relayOnly: true,
          });
          await caller.applyAnswer(peer.answerSdp);
          await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
          const payload = new Uint8Array(30).fill(0xf8);
          for (let i = 0; i < 25; i++) {
            peer.sendOpus(payload, i, i * 960, i === 0);
            await new Promise((r) => setTimeout(r, 20));
          }
          await new Promise((r) => setTimeout(r, 200));
          const heard = caller.heardRtp.filter((p) => p.ssrc === peer!.ssrc);
          assert.ok(heard.length >= 24, `caller heard ${heard.length} of 25 packets`);
        } finally {
          await peer?.close();
          await caller.close();
        }
      });
    }
  } finally {
    await coturn.stop();
  }
});
