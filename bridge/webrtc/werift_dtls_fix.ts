/**
 * Why: werift 0.25.2's DTLS client re-keys on a retransmitted flight 4,
 * which leaves a call connected but silent both ways. When the server
 * resends its flight 4 (ServerHello … ServerHelloDone) because our flight 5
 * was slow or lost (libwebrtc resends after 50 ms, so a cold first call hits
 * it), werift handles the copy as a new handshake: it makes a fresh ECDH key
 * pair and, once its `flight === 5` guard no longer holds (the server's
 * Finished has arrived), sends a second flight 5 and recomputes its master
 * secret. The SRTP keys then come from a secret the server never saw, and
 * every packet fails authentication. Here, per RFC 6347 §4.2.4, once our
 * flight 5 exists any further flight-4 message is a retransmission: it is
 * answered by resending that flight unchanged (before the Finished) or
 * ignored (after), never by re-keying.
 *
 * Upstream fix: `DtlsClient.handleHandshakes` ignoring flight-4 messages once
 * `dtls.flight >= 5`, resending `dtls.lastMessage` on a ServerHelloDone until
 * connected; with that in werift, this file goes.
 *
 * @module
 */
import { DtlsClient, DtlsSocket } from "werift";

/** Handshake types of the server's flight 4 (RFC 5246 §7.4). */
const FLIGHT4 = new Set([2, 11, 12, 13, 14]);
const SERVER_HELLO_DONE = 14;

type Handshakes = Parameters<DtlsSocket["handleFragmentHandshake"]>[0];

/**
 * Guards every werift DTLS client, from the first handshake record it
 * receives (each passes `handleFragmentHandshake` first). Installed once, by
 * `installWeriftPatches()`.
 */
export function installWeriftDtlsFix(): void {
  const proto = DtlsSocket.prototype;
  const original = proto.handleFragmentHandshake;
  const guarded = new WeakSet<DtlsClient>();
  proto.handleFragmentHandshake = function (this: DtlsSocket, messages: Handshakes) {
    if (this instanceof DtlsClient && !guarded.has(this)) {
      guarded.add(this);
      guard(this);
    }
    return original.call(this, messages);
  };
}

function guard(client: DtlsClient): void {
  const handle = client.onHandleHandshakes;
  client.onHandleHandshakes = (assembled) => {
    // Before our flight 5 exists werift copes with duplicates itself (one
    // flight 5 is built from whichever copy completes); after, only resend.
    if (client.dtls.flight < 5) return handle(assembled);
    const fresh = assembled.filter((h) => !FLIGHT4.has(h.msg_type));
    const done = assembled.some((h) => h.msg_type === SERVER_HELLO_DONE);
    if (done && !client.connected) {
      for (const buf of client.dtls.lastMessage) client.transport.send(buf).catch(() => {});
    }
    return fresh.length > 0 ? handle(fresh) : Promise.resolve();
  };
}
