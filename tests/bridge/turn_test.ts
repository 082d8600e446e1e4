/**
 * Optional TURN (`ICE_SERVERS`): with a real coturn server, the bridge gathers
 * a relay candidate and announces it in the answer it gives Meta.
 */
import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppPeer } from "../../bridge/webrtc/whatsapp_peer.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";

function which(cmd: string): boolean {
  try {
    return new Deno.Command("which", { args: [cmd], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

// The answer never announces loopback addresses, so the relay needs a real interface.
const hostIp = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !i.address.startsWith("127.")
)
  ?.address;
const turnserver = which("turnserver");

Deno.test({
  name: "bridge gathers a TURN relay candidate from ICE_SERVERS [coturn]",
  ignore: !turnserver || !hostIp,
}, async () => {
  // coturn listens on TCP and UDP; a port free for TCP is free enough here.
  const probe = Deno.listen({ hostname: hostIp!, port: 0 });
  const port = probe.addr.port;
  probe.close();
  const server = new Deno.Command("turnserver", {
    args: [
      "-n",
      "--no-cli",
      "--no-tls",
      "--no-dtls",
      "--lt-cred-mech",
      "--realm=test",
      "--user=bridge:secret",
      `--listening-ip=${hostIp}`,
      `--relay-ip=${hostIp}`,
      `--listening-port=${port}`,
      "--min-port=49300",
      "--max-port=49400",
      "--log-file=stdout",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const caller = await WhatsAppCaller.create();
  let peer: WhatsAppPeer | undefined;
  try {
    await new Promise((r) => setTimeout(r, 500)); // coturn binds its listeners
    const checked = validateWhatsAppOffer(caller.offerSdp);
    assert.ok(checked.ok);
    peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
      iceServers: [{ urls: `turn:${hostIp}:${port}`, username: "bridge", credential: "secret" }],
      allowPrivateCandidates: true,
    });
    const relay = peer.answerSdp.split("\r\n").find((l) =>
      l.startsWith("a=candidate:") && l.includes(" typ relay")
    );
    assert.ok(relay, peer.answerSdp);
    assert.equal(relay.split(" ")[4], hostIp);
    const relayPort = Number(relay.split(" ")[5]);
    assert.ok(relayPort >= 49300 && relayPort <= 49400, relay);
  } finally {
    await peer?.close();
    await caller.close();
    server.kill("SIGTERM");
    await server.status;
  }
});
