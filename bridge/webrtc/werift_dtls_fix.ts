/**
 * Works around a werift 0.25.2 DTLS client bug that leaves a call connected
 * but silent both ways.
 *
 * When the server retransmits its flight 4 (ServerHello … ServerHelloDone)
 * because our flight 5 was slow or lost, werift handles the copy as a new
 * handshake: it makes a fresh ECDH key pair and, once its `flight === 5`
 * guard no longer holds (the server's Finished has arrived), sends a second
 * flight 5 and recomputes its master secret. The SRTP keys then come from a
 * secret the server never saw, and every packet fails authentication.
 * libwebrtc resends after 50 ms, so a cold first call (JIT not warm) hits it.
 *
 * The fix, per RFC 6347 §4.2.4: once our flight 5 exists, any further
 * flight-4 message is a retransmission; answer it by resending that flight
 * unchanged (before the Finished) or ignore it (after), never re-keying.
 * It is applied once, to every DTLS client werift creates, by wrapping the
 * socket method each handshake record passes through first.
 *
 * @module
 */
import { DtlsClient, DtlsSocket } from "werift";

/** Handshake types of the server's flight 4 (RFC 5246 §7.4). */
const FLIGHT4 = new Set([2, 11, 12, 13, 14]);
const SERVER_HELLO_DONE = 14;

interface ClientInternals {
  connected: boolean;
  dtls: { flight: number; lastMessage?: Uint8Array[] };
  transport: { send(buf: Uint8Array): unknown };
  onHandleHandshakes: (assembled: Array<{ msg_type: number }>) => Promise<void>;
}

type HandleFragments = (this: unknown, messages: unknown[]) => unknown;

let installed = false;

/** Installs the fix (idempotent). Returns how many retransmitted flights were absorbed, for tests. */
export function installWeriftDtlsFix(): { absorbed: () => number } {
  if (!installed) {
    installed = true;
    const proto = DtlsSocket.prototype as unknown as { handleFragmentHandshake: HandleFragments };
    const original = proto.handleFragmentHandshake;
    const guarded = new WeakSet<object>();
    proto.handleFragmentHandshake = function (this: unknown, messages: unknown[]) {
      if (this instanceof DtlsClient && !guarded.has(this)) {
        guarded.add(this);
        guard(this as unknown as ClientInternals);
      }
      return original.call(this, messages);
    };
  }
  return { absorbed: () => absorbed };
}

let absorbed = 0;

function guard(client: ClientInternals): void {
  const handle = client.onHandleHandshakes;
  client.onHandleHandshakes = (assembled) => {
    // Before our flight 5 exists werift copes with duplicates itself (one
    // flight 5 is built from whichever copy completes); after, only resend.
    if (client.dtls.flight < 5) return handle(assembled);
    const fresh = assembled.filter((h) => !FLIGHT4.has(h.msg_type));
    if (fresh.length < assembled.length) {
      absorbed++;
      const done = assembled.some((h) => h.msg_type === SERVER_HELLO_DONE);
      if (done && !client.connected && client.dtls.lastMessage) {
        for (const buf of client.dtls.lastMessage) client.transport.send(buf);
      }
    }
    return fresh.length > 0 ? handle(fresh) : Promise.resolve();
  };
}
