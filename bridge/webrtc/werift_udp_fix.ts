/**
 * Stops Deno's `node:dgram` from allocating 64 KiB for every datagram a
 * werift socket receives.
 *
 * Deno 2.9's UDP binding receives each datagram into a fresh buffer of the
 * socket's receive-buffer size (64 KiB by default) and hands werift a view of
 * it, so every 160-byte RTP packet costs a zero-filled 64 KiB allocation, and
 * every packet werift keeps (jitter buffer, NACK history) pins 64 KiB of
 * native memory. At 50 calls that is 160 MB/s of garbage, GC pauses that
 * delay the media clock, and megabytes of resident memory per call.
 *
 * In Deno, `setRecvBufferSize(n)` sets only that per-datagram allocation
 * (doubled, as Linux reports SO_RCVBUF), not the kernel's socket buffer. We
 * set it once each werift socket is bound, to a size no WebRTC datagram
 * exceeds: peers keep DTLS and SRTP under the path MTU (RFC 8261 §5), so
 * nothing larger than an Ethernet frame arrives, and a larger one would only
 * be truncated, failing its integrity check like any corrupt packet.
 *
 * @module
 */
import { UdpTransport } from "werift";

/** Largest datagram we accept: an Ethernet MTU. */
const MAX_DATAGRAM_BYTES = 1500;

interface UdpTransportInternals {
  socket: { setRecvBufferSize(size: number): void };
  init(): Promise<void>;
}

let installed = false;

/** Installs the fix on every werift UDP transport (idempotent). */
export function installWeriftUdpFix(): void {
  if (installed) return;
  installed = true;
  const proto = UdpTransport.prototype as unknown as UdpTransportInternals;
  const init = proto.init;
  proto.init = async function (this: UdpTransportInternals) {
    await init.call(this);
    // Deno doubles the value, as Linux does for SO_RCVBUF.
    this.socket.setRecvBufferSize(Math.ceil(MAX_DATAGRAM_BYTES / 2));
  };
}
