import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { UdpTransport } from "werift";
import type { Address } from "./deno_udp_transport.ts";
import { LibcUdpTransport, POLL_INTERVAL_MS } from "./libc_udp_transport.ts";
import type { UdpTransportStatics } from "./werift_internals.ts";
import { installWeriftPatches } from "./werift_patches.ts";

const LOOPBACK = { interfaceAddresses: { udp4: "127.0.0.1" } };
const skip = !LibcUdpTransport.available;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every datagram `t` hands to werift. */
function record(t: LibcUdpTransport): Array<{ data: Buffer; addr: Address }> {
  const got: Array<{ data: Buffer; addr: Address }> = [];
  t.onData = (data, addr) => got.push({ data, addr });
  return got;
}

async function pair(): Promise<[LibcUdpTransport, LibcUdpTransport]> {
  return [
    await LibcUdpTransport.init("udp4", LOOPBACK),
    await LibcUdpTransport.init("udp4", LOOPBACK),
  ];
}

Deno.test({
  name: "libc udp: the shared poller delivers each datagram, in its own buffer, with its sender",
  ignore: skip,
  async fn() {
    const [a, b] = await pair();
    try {
      const got = record(b);
      const packet = new Uint8Array([1, 2, 3]);
      await a.send(packet, ["127.0.0.1", b.port]);
      packet[0] = 9; // the send took its own copy
      await a.send(packet, ["127.0.0.1", b.port]);
      await sleep(20 * POLL_INTERVAL_MS);
      assert.deepEqual(got.map((g) => [...g.data]), [[1, 2, 3], [9, 2, 3]]);
      got[0]!.data[1] = 0;
      assert.equal(got[1]!.data[1], 2, "each datagram has its own bytes");
      assert.deepEqual(got[0]!.addr, ["127.0.0.1", a.port]);
      // A reply without an address goes to the last sender.
      const back = record(a);
      await b.send(new Uint8Array([7]));
      await sleep(20 * POLL_INTERVAL_MS);
      assert.deepEqual(back.map((g) => [...g.data]), [[7]]);
      assert.equal(a.address.address, "127.0.0.1");
      assert.equal(a.address.family, "IPv4");
      assert.equal(a.addressFamily, 4);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

Deno.test({
  name: "libc udp: an owner that reads on its own clock gets everything queued, in order",
  ignore: skip,
  async fn() {
    const [a, b] = await pair();
    try {
      const got = record(b);
      b.ownerReads = true;
      for (let i = 0; i < 5; i++) await a.send(new Uint8Array([i]), ["127.0.0.1", b.port]);
      await sleep(20 * POLL_INTERVAL_MS);
      assert.equal(got.length, 0, "the shared poller left the socket alone");
      assert.equal(b.drain(), 5);
      assert.deepEqual(got.map((g) => g.data[0]), [0, 1, 2, 3, 4]);
      assert.equal(b.drain(), 0);
      // Handed back: the poller reads again.
      b.ownerReads = false;
      await a.send(new Uint8Array([5]), ["127.0.0.1", b.port]);
      await sleep(20 * POLL_INTERVAL_MS);
      assert.deepEqual(got.map((g) => g.data[0]), [0, 1, 2, 3, 4, 5]);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

Deno.test({
  name: "libc udp: receivingFrom names each datagram's sender during onData, and only then",
  ignore: skip,
  async fn() {
    const [a, b] = await pair();
    const c = await LibcUdpTransport.init("udp4", LOOPBACK);
    try {
      const seen: Array<Address | undefined> = [];
      b.onData = (_data, addr) => {
        assert.equal(b.receivingFrom, addr);
        seen.push(b.receivingFrom);
      };
      b.ownerReads = true;
      for (const from of [a, a, c, a]) await from.send(new Uint8Array([1]), ["127.0.0.1", b.port]);
      await sleep(5);
      assert.equal(b.drain(), 4);
      assert.deepEqual(seen.map((s) => s?.[1]), [a.port, a.port, c.port, a.port]);
      assert.equal(seen[0], seen[1], "one object while the sender stays the same");
      assert.equal(b.receivingFrom, undefined, "outside onData");
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  },
});

const rmemMax = (() => {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max"));
  } catch {
    return 0;
  }
})();

Deno.test({
  name: "libc udp: a socket holds a 20 ms tick's flood, more than Linux's default buffer",
  // The kernel caps the buffer at net.core.rmem_max; below 1 MiB there is nothing to see.
  ignore: skip || rmemMax < 1 << 20,
  async fn() {
    const [a, b] = await pair();
    try {
      record(b);
      b.ownerReads = true;
      // ~830 bytes of kernel memory each on loopback: a default buffer holds about 256 of them.
      for (let i = 0; i < 1000; i++) await a.send(new Uint8Array(64), ["127.0.0.1", b.port]);
      await sleep(5);
      assert.equal(b.drain(), 1000);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

Deno.test({
  name: "libc udp: a handler that throws does not stop the socket",
  ignore: skip,
  async fn() {
    const [a, b] = await pair();
    try {
      const seen: number[] = [];
      b.onData = (data) => {
        seen.push(data[0]!);
        if (data[0] === 1) throw new Error("bad packet");
      };
      b.ownerReads = true;
      await a.send(new Uint8Array([1]), ["127.0.0.1", b.port]);
      await a.send(new Uint8Array([2]), ["127.0.0.1", b.port]);
      await sleep(5);
      assert.equal(b.drain(), 2);
      assert.deepEqual(seen, [1, 2]);
    } finally {
      await a.close();
      await b.close();
    }
    // After close: sends and drains are no-ops.
    await a.send(new Uint8Array([3]), ["127.0.0.1", b.port]);
    assert.equal(b.drain(), 0);
    assert.equal(a.closed, true);
  },
});

Deno.test({
  name: "libc udp: port ranges, a busy port, and a port free again once closed",
  ignore: skip,
  async fn() {
    const first = await LibcUdpTransport.init("udp4", { ...LOOPBACK, portRange: [42310, 42312] });
    const second = await LibcUdpTransport.init("udp4", { ...LOOPBACK, portRange: [42310, 42312] });
    assert.equal(first.port, 42310);
    assert.equal(second.port, 42311);
    await assert.rejects(
      LibcUdpTransport.init("udp4", { ...LOOPBACK, port: 42310 }),
      Deno.errors.AddrInUse,
    );
    await first.close();
    const again = await LibcUdpTransport.init("udp4", { ...LOOPBACK, port: 42310 });
    await again.close();
    await second.close();
    await assert.rejects(
      LibcUdpTransport.init("udp4", { interfaceAddresses: { udp4: "not-an-ip" } }),
      /not an IPv4 address/,
    );
  },
});

Deno.test({
  name: "libc udp: IPv6 loopback and a hostname destination",
  ignore: skip,
  async fn() {
    const a = await LibcUdpTransport.init("udp6", { interfaceAddresses: { udp6: "::1" } });
    const b = await LibcUdpTransport.init("udp6", { interfaceAddresses: { udp6: "::1" } });
    const c = await LibcUdpTransport.init("udp4", LOOPBACK);
    const d = await LibcUdpTransport.init("udp4", LOOPBACK);
    try {
      const got6 = record(b);
      await a.send(new Uint8Array([6]), ["::1", b.port]);
      const got4 = record(d);
      await c.send(new Uint8Array([4]), ["localhost", d.port]);
      await sleep(30 * POLL_INTERVAL_MS);
      assert.deepEqual(got6.map((g) => [g.data[0], g.addr]), [[6, ["::1", a.port]]]);
      assert.deepEqual(got4.map((g) => g.data[0]), [4]);
    } finally {
      await Promise.all([a.close(), b.close(), c.close(), d.close()]);
    }
  },
});

Deno.test({
  name: "libc udp: once the werift patches are installed, werift's UdpTransport.init makes one",
  ignore: skip,
  async fn() {
    assert.equal(installWeriftPatches().udpTransport, "libc");
    const t = await (UdpTransport as UdpTransportStatics).init("udp4", LOOPBACK);
    assert.ok(t instanceof LibcUdpTransport);
    await t.close();
  },
});

Deno.test({
  name: "libc udp: without FFI permission the bridge keeps Deno's own sockets",
  ignore: skip,
  async fn() {
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    const module = JSON.stringify(import.meta.resolve("./werift_patches.ts"));
    await Deno.writeTextFile(
      script,
      `import { installWeriftPatches } from ${module};
      console.log(installWeriftPatches().udpTransport);`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
        "--allow-read",
        "--allow-env",
        "--allow-net",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output().finally(() => Deno.remove(script));
    assert.equal(
      new TextDecoder().decode(out.stdout).trim(),
      "deno",
      new TextDecoder().decode(out.stderr),
    );
  },
});
