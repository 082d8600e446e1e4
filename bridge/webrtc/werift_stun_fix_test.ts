import assert from "node:assert/strict";
import { Connection, RTCPeerConnection } from "werift";
import type { ConnectionInternals } from "./werift_internals.ts";
import { installWeriftPatches } from "./werift_patches.ts";

installWeriftPatches();

const stunOf = (c: unknown) => (c as ConnectionInternals).stunServer;

Deno.test("no STUN server configured: werift asks none (not stun.l.google.com)", () => {
  assert.equal(stunOf(new Connection(true, {})), undefined);
});

Deno.test("a configured STUN server is still used", () => {
  assert.deepEqual(
    stunOf(new Connection(true, { stunServer: ["203.0.113.5", 3478] })),
    ["203.0.113.5", 3478],
  );
});

Deno.test("a peer connection with iceServers [] gathers no server-reflexive candidate", async () => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  try {
    pc.addTransceiver("audio", { direction: "sendrecv" });
    await pc.setLocalDescription(await pc.createOffer());
    const connection = pc.iceTransports[0]?.connection;
    assert.ok(connection);
    assert.equal(stunOf(connection), undefined);
  } finally {
    await pc.close();
  }
});
