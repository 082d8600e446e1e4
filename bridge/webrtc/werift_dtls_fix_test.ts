import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  DtlsClient,
  DtlsServer,
  type DtlsSocket,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCDtlsTransport,
  type Transport,
} from "werift";
import { installWeriftPatches } from "./werift_patches.ts";

/** Handshake types of the server's flight 4 (RFC 5246 §7.4). */
const FLIGHT4 = new Set([2, 11, 12, 13, 14]);
const CLIENT_KEY_EXCHANGE = 16;

/** The handshake type of a datagram's first record, if that is a plaintext handshake record. */
function handshakeType(datagram: Uint8Array): number | undefined {
  const epoch = (datagram[3]! << 8) | datagram[4]!;
  return datagram[0] === 22 && epoch === 0 ? datagram[13] : undefined;
}

const isFlight4 = (d: Uint8Array) => FLIGHT4.has(handshakeType(d) ?? -1);

/**
 * A werift DTLS client and server (as `RTCDtlsTransport` configures them for
 * the bridge and Meta) joined by an in-memory link that records every
 * datagram and can hold back the server's.
 */
interface Link {
  client: DtlsClient;
  server: DtlsServer;
  sentByClient: Buffer[];
  sentByServer: Buffer[];
  /** While set, the server datagrams it accepts are kept in `held` instead of delivered. */
  hold: ((datagram: Buffer) => boolean) | undefined;
  held: Buffer[];
  /** Hands `datagrams` to the client back to back, as one read of its socket would. */
  toClient(datagrams: Buffer[]): void;
}

const ADDR: [string, number] = ["127.0.0.1", 9];

function socket(deliver: (data: Buffer) => void, sent: Buffer[]): Transport {
  return {
    type: "udp",
    address: { address: ADDR[0], family: "IPv4", port: ADDR[1] },
    closed: false,
    onData: () => {},
    send: (data) => {
      sent.push(Buffer.from(data));
      deliver(data);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

async function link(): Promise<Link> {
  installWeriftPatches();
  const cert = await RTCDtlsTransport.SetupCertificate();
  const options = {
    cert: cert.certPem,
    key: cert.privateKey,
    signatureHash: cert.signatureHash,
    srtpProfiles: [ProtectionProfileAes128CmHmacSha1_80],
    extendedMasterSecret: true,
  };
  const sentByClient: Buffer[] = [];
  const sentByServer: Buffer[] = [];
  const clientSocket = socket(
    (d) => queueMicrotask(() => serverSocket.onData(d, ADDR)),
    sentByClient,
  );
  const serverSocket = socket((d) => {
    if (l.hold?.(d)) l.held.push(d);
    else queueMicrotask(() => clientSocket.onData(d, ADDR));
  }, sentByServer);
  const l: Link = {
    client: new DtlsClient({ ...options, transport: clientSocket }),
    server: new DtlsServer({ ...options, transport: serverSocket, certificateRequest: true }),
    sentByClient,
    sentByServer,
    hold: undefined,
    held: [],
    toClient: (datagrams) => datagrams.forEach((d) => clientSocket.onData(d, ADDR)),
  };
  return l;
}

function connected(socket: DtlsSocket): Promise<void> {
  return new Promise((resolve) => socket.onConnect.once(() => resolve()));
}

/** Lets every handshake message in flight be handled (werift's handlers chain promises only). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function assertSameSrtpKeys({ client, server }: Link): void {
  const c = client.extractSessionKeys(16, 14);
  const s = server.extractSessionKeys(16, 14);
  assert.ok(c.localKey.equals(s.remoteKey), "the client's SRTP key is the one the server expects");
  assert.ok(c.remoteKey.equals(s.localKey), "the server's SRTP key is the one the client expects");
}

// werift's flights keep a retransmission timer (0.5 s and up) the test cannot reach.
const timers = { sanitizeOps: false };

Deno.test({
  name: "DTLS fix: a flight 4 re-delivered after the handshake neither re-keys nor resends",
  ...timers,
  async fn() {
    const l = await link();
    const both = Promise.all([connected(l.client), connected(l.server)]);
    l.client.connect().catch(() => {});
    await both;
    assertSameSrtpKeys(l);
    const sent = l.sentByClient.length;
    l.toClient(l.sentByServer.filter(isFlight4));
    await settle();
    assertSameSrtpKeys(l);
    assert.deepEqual(l.sentByClient.slice(sent), [], "no second flight 5");
  },
});

Deno.test({
  name:
    "DTLS fix: a flight 4 re-delivered with the server's Finished is answered by flight 5 as is",
  ...timers,
  async fn() {
    const l = await link();
    // Hold the server's flight 6 (ChangeCipherSpec and the encrypted Finished).
    l.hold = (d) => handshakeType(d) === undefined;
    const clientUp = connected(l.client);
    const serverUp = connected(l.server);
    l.client.connect().catch(() => {});
    await serverUp;
    assert.equal(l.client.dtls.flight, 5, "our flight 5 is out, the server's Finished not yet in");
    assert.ok(l.held.length > 0);
    l.hold = undefined;
    const sent = l.sentByClient.length;
    // A slow first call: the server's retransmitted flight 4 and its Finished in one read.
    l.toClient([...l.sentByServer.filter(isFlight4), ...l.held]);
    await clientUp;
    await settle();
    assertSameSrtpKeys(l);
    const before = l.sentByClient.slice(0, sent);
    const after = l.sentByClient.slice(sent);
    assert.ok(after.some((d) => handshakeType(d) === CLIENT_KEY_EXCHANGE), "flight 5 resent");
    assert.ok(after.every((d) => before.some((e) => e.equals(d))), "resent as is, never rebuilt");
  },
});
