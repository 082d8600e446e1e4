/**
 * Controls for the NAT lab: each behaviour a network test relies on is shown
 * with plain UDP/TCP probes, so a case that passes cannot pass because the
 * lab quietly stopped translating, expiring or blocking.
 */
import assert from "node:assert/strict";
import { JsonLines, JsonWriter } from "./json_lines.ts";
import {
  holdInboundRtp,
  type NatLab,
  type NatLabOptions,
  netnsTest,
  netnsUnavailable,
  routerCounter,
  run,
  sysctlPath,
  withNatLab,
} from "./netns.ts";

const unavailable = netnsUnavailable();
const PROBE = new URL("./net_probe.ts", import.meta.url).pathname;

interface Probe {
  out: JsonLines;
  send(to: string, data: string): Promise<void>;
  sendHex(to: string, hex: string): Promise<void>;
  /** The first datagram carrying `data`, or undefined after `ms`. */
  heard(data: string, ms: number): Promise<{ from: string } | undefined>;
}

async function probe(lab: NatLab, ns: string, mode: string, addr: string, port: number) {
  const p = lab.lab.spawn(ns, Deno.execPath(), ["run", "-A", PROBE, mode, addr, String(port)]);
  const out = new JsonLines(p.child.stdout);
  await out.next((l) => "ready" in l, 10_000, `${mode} probe in ${ns}`);
  const w = new JsonWriter(p.child.stdin);
  return {
    out,
    send: (to: string, data: string) => w.send({ to, data }),
    sendHex: (to: string, hex: string) => w.send({ to, hex }),
    heard: (data: string, ms: number) =>
      out.next((l) => l.data === data, ms, data).then(
        (l) => ({ from: String(l.from) }),
        () => undefined,
      ),
  } satisfies Probe;
}

function test(name: string, fn: () => Promise<void>) {
  netnsTest(name, unavailable, fn);
}

/** {@linkcode withNatLab}, then a check that closing left no namespace behind. */
async function withLab(opts: NatLabOptions, fn: (lab: NatLab) => Promise<void>) {
  const prefix = await withNatLab(opts, async (lab) => {
    await fn(lab);
    return lab.lab.prefix;
  });
  const left = (await run("ip", ["netns", "list"])).stdout;
  assert.ok(!left.includes(prefix), `namespaces left behind: ${left}`);
}

/**
 * UDP probes on both public addresses (port 5000) and one in the bridge
 * (40000) that sends to each: where each datagram was seen coming from.
 */
async function sendToBoth(lab: NatLab) {
  const [a, b] = lab.publicAddrs as [string, string];
  const pa = await probe(lab, lab.ns.public, "udp", a, 5000);
  const pb = await probe(lab, lab.ns.public, "udp", b, 5000);
  const bridge = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40000);
  await bridge.send(`${a}:5000`, "to-a");
  await bridge.send(`${b}:5000`, "to-b");
  const [fa, fb] = [await pa.heard("to-a", 3000), await pb.heard("to-b", 3000)];
  return { pa, pb, bridge, fa, fb };
}

test("netns: masquerade hides the bridge and keeps one port for every destination", async () => {
  await withLab({ nat: "masquerade" }, async (lab) => {
    const { pa, bridge, fa, fb } = await sendToBoth(lab);
    assert.equal(fa?.from, `${lab.routerPublicAddr}:40000`, "translated, port kept");
    assert.equal(fb?.from, fa?.from, "the same mapping for another destination");
    // Replies come back through the mapping; the private address is unreachable from outside.
    await pa.send(fa!.from, "reply");
    assert.ok(await bridge.heard("reply", 3000), "a reply through the mapping arrives");
    await pa.send(`${lab.bridgeAddr}:40000`, "direct");
    assert.equal(await bridge.heard("direct", 1500), undefined, "10.77.0.2 is not routed");
  });
});

test("netns: symmetric NAT gives every destination its own port", async () => {
  await withLab({ nat: "symmetric" }, async (lab) => {
    const { pb, bridge, fa, fb } = await sendToBoth(lab);
    assert.ok(fa && fb, "both arrive");
    const [hostA, portA] = fa.from.split(":");
    const [hostB, portB] = fb.from.split(":");
    assert.equal(hostA, lab.routerPublicAddr);
    assert.equal(hostB, lab.routerPublicAddr);
    assert.notEqual(portA, portB, "a new port per destination");
    // What the relay learns from a STUN server's view is useless for the relay.
    await pb.send(fa.from, "via-a-mapping");
    assert.equal(await bridge.heard("via-a-mapping", 1500), undefined, "mapping is per peer");
  });
});

test("netns: a UDP mapping silent for 12 s expires; one refreshed every 5 s lives", async () => {
  await withLab({ nat: "masquerade", udpTimeoutS: 10 }, async (lab) => {
    assert.equal(
      await lab.lab.readSysctl(lab.ns.router, "net.netfilter.nf_conntrack_udp_timeout"),
      "10",
    );
    const root = await Deno.readTextFile(sysctlPath("net.netfilter.nf_conntrack_udp_timeout"));
    assert.notEqual(root.trim(), "10", "the root namespace keeps its own timeout");
    const [a, b] = lab.publicAddrs as [string, string];
    const pa = await probe(lab, lab.ns.public, "udp", a, 5000);
    const pb = await probe(lab, lab.ns.public, "udp", b, 5000);
    const silent = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40000);
    const chatty = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40001);
    await silent.send(`${a}:5000`, "open-a");
    const fa = await pa.heard("open-a", 3000);
    let fb: { from: string } | undefined;
    for (let i = 0; i < 3; i++) {
      await chatty.send(`${b}:5000`, `keep-${i}`);
      fb ??= await pb.heard(`keep-${i}`, 3000);
      await new Promise((r) => setTimeout(r, i < 2 ? 5000 : 2000));
    }
    // 12 s after "open-a", 2 s after the last keepalive.
    await pa.send(fa!.from, "late-a");
    await pb.send(fb!.from, "late-b");
    assert.ok(await chatty.heard("late-b", 2000), "the refreshed mapping still forwards");
    assert.equal(await silent.heard("late-a", 1000), undefined, "the silent mapping expired");
  });
});

test("netns: blocked UDP does not cross the router while TCP does", async () => {
  await withLab({ nat: "masquerade", blockUdp: true }, async (lab) => {
    const [a] = lab.publicAddrs as [string];
    const pa = await probe(lab, lab.ns.public, "udp", a, 5000);
    const tcp = await probe(lab, lab.ns.public, "tcp-listen", a, 5001);
    const bridge = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40000);
    await bridge.send(`${a}:5000`, "udp-blocked");
    const sent = await lab.lab.exec(lab.ns.bridge, Deno.execPath(), [
      "run",
      "-A",
      PROBE,
      "tcp-send",
      a,
      "5001",
      "tcp-passes",
    ]);
    assert.match(sent.stdout, /"sent":true/, sent.stdout + sent.stderr);
    const got = await tcp.out.next((l) => l.data === "tcp-passes", 3000, "tcp");
    assert.equal(String(got.from).split(":")[0], lab.routerPublicAddr);
    assert.equal(await pa.heard("udp-blocked", 1500), undefined, "UDP is dropped");
  });
});

test("netns: 1:1 NAT maps a public address to the bridge both ways, ports kept", async () => {
  await withLab({ nat: "one_to_one" }, async (lab) => {
    const [a] = lab.publicAddrs as [string];
    const pa = await probe(lab, lab.ns.public, "udp", a, 5000);
    const bridge = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40000);
    // Unsolicited: the public address and port reach the bridge with nothing sent first.
    await pa.send(`${lab.oneToOneAddr}:40000`, "inbound");
    assert.ok(await bridge.heard("inbound", 3000), "unsolicited inbound arrives");
    await bridge.send(`${a}:5000`, "outbound");
    assert.equal((await pa.heard("outbound", 3000))?.from, `${lab.oneToOneAddr}:40000`);
  });
});

test("netns: holding inbound RTP drops it before conntrack while STUN passes; counters split", async () => {
  await withLab({ nat: "masquerade" }, async (lab) => {
    const [a] = lab.publicAddrs as [string];
    const pa = await probe(lab, lab.ns.public, "udp", a, 5000);
    const bridge = await probe(lab, lab.ns.bridge, "udp", "0.0.0.0", 40000);
    // A STUN-like datagram (first byte 0x00) and an RTP-like one (0x80) out: counted apart.
    await bridge.sendHex(`${a}:5000`, "0001aa");
    await bridge.sendHex(`${a}:5000`, "80aa01");
    const seen = {
      from: String((await pa.out.next((l) => l.hex === "0001aa", 3000, "STUN-like out")).from),
    };
    await pa.out.next((l) => String(l.hex) === "80aa01", 3000, "rtp-like out");
    assert.equal(await routerCounter(lab, "out_stun"), 1);
    assert.equal(await routerCounter(lab, "out_rtp"), 1);
    await holdInboundRtp(lab, true);
    await pa.sendHex(seen.from, "80bb02");
    await pa.sendHex(seen.from, "0001bb");
    await bridge.out.next((l) => l.hex === "0001bb", 3000, "STUN-like passes while held");
    const held = await bridge.out.next((l) => l.hex === "80bb02", 1000, "x").catch(() => undefined);
    assert.equal(held, undefined, "RTP-like is dropped while held");
    await holdInboundRtp(lab, false);
    await pa.sendHex(seen.from, "80cc03");
    await bridge.out.next((l) => l.hex === "80cc03", 3000, "RTP-like passes after release");
  });
});
