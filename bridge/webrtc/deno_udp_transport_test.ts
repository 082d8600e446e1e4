import assert from "node:assert/strict";
import { type Address, DenoUdpTransport } from "./deno_udp_transport.ts";

const LOOPBACK = { interfaceAddresses: { udp4: "127.0.0.1" } };

function nextDatagram(t: DenoUdpTransport): Promise<{ data: Uint8Array; addr: Address }> {
  return new Promise((resolve) => t.onData = (data, addr) => resolve({ data, addr }));
}

Deno.test("deno udp transport: datagrams both ways, each its own copy, replies to the last sender", async () => {
  const a = await DenoUdpTransport.init("udp4", LOOPBACK);
  const b = await DenoUdpTransport.init("udp4", LOOPBACK);
  try {
    assert.equal(a.address.address, "127.0.0.1");
    assert.equal(a.addressFamily, 4);
    const got: Uint8Array[] = [];
    const two = new Promise<Address>((resolve) =>
      b.onData = (data, addr) => {
        got.push(data);
        if (got.length === 2) resolve(addr);
      }
    );
    await a.send(new Uint8Array([1, 2, 3]), ["127.0.0.1", b.port]);
    await a.send(new Uint8Array([9, 8]), ["127.0.0.1", b.port]);
    assert.deepEqual(await two, ["127.0.0.1", a.port]);
    // The second datagram did not overwrite the first (one receive buffer is reused).
    assert.deepEqual(got.map((d) => [...d]), [[1, 2, 3], [9, 8]]);
    const reply = nextDatagram(a);
    await b.send(new Uint8Array([7])); // no address: the last sender
    assert.deepEqual([...(await reply).data], [7]);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("deno udp transport: receivingFrom names each datagram's sender during onData only", async () => {
  const a = await DenoUdpTransport.init("udp4", LOOPBACK);
  const b = await DenoUdpTransport.init("udp4", LOOPBACK);
  const c = await DenoUdpTransport.init("udp4", LOOPBACK);
  try {
    const seen: Array<Address | undefined> = [];
    const four = new Promise<void>((resolve) =>
      b.onData = (_data, addr) => {
        assert.equal(b.receivingFrom, addr);
        seen.push(b.receivingFrom);
        if (seen.length === 4) resolve();
      }
    );
    for (const from of [a, a, c, a]) await from.send(new Uint8Array([1]), ["127.0.0.1", b.port]);
    await four;
    assert.deepEqual(seen.map((s) => s?.[1]), [a.port, a.port, c.port, a.port]);
    assert.equal(seen[0], seen[1], "one object while the sender stays the same");
    assert.equal(b.receivingFrom, undefined, "outside onData");
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

Deno.test("deno udp transport: a port range binds its first free port, or says it is full", async () => {
  const probe = await DenoUdpTransport.init("udp4", LOOPBACK);
  const base = probe.port;
  await probe.close();
  const range: [number, number] = [base, base + 50];
  const first = await DenoUdpTransport.init("udp4", { ...LOOPBACK, portRange: range });
  const second = await DenoUdpTransport.init("udp4", { ...LOOPBACK, portRange: range });
  try {
    assert.equal(first.port, base);
    assert.ok(second.port > base && second.port <= base + 50, String(second.port));
    await assert.rejects(
      DenoUdpTransport.init("udp4", { ...LOOPBACK, portRange: [base, base] }),
      /no free UDP port/,
    );
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("deno udp transport: a throwing handler or a send after close harms nothing", async () => {
  const a = await DenoUdpTransport.init("udp4", LOOPBACK);
  const b = await DenoUdpTransport.init("udp4", LOOPBACK);
  try {
    b.onData = () => {
      throw new Error("bad packet");
    };
    await a.send(new Uint8Array([1]), ["127.0.0.1", b.port]);
    await new Promise((r) => setTimeout(r, 50));
    const next = nextDatagram(b);
    await a.send(new Uint8Array([2]), ["127.0.0.1", b.port]);
    assert.deepEqual([...(await next).data], [2], "still receiving");
  } finally {
    await a.close();
    await b.close();
  }
  await a.send(new Uint8Array([3]), ["127.0.0.1", b.port]);
  assert.equal(a.closed, true);
});
