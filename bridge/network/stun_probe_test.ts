import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { classes, Message, methods } from "werift";
import {
  decodeBindingAnswer,
  DEFAULT_STUN_SERVERS,
  encodeBindingRequest,
  parseStunServers,
  probeStun,
  StunClient,
} from "./stun_probe.ts";
import { startFakeStun } from "../../tests/doctor/fake_stun.ts";
import { coturnMissing, startLoopbackCoturn } from "../../tests/support/coturn.ts";

Deno.test("stun: STUN_SERVERS parses host:port lists, defaults to two public servers", () => {
  assert.deepEqual(parseStunServers("a.example:3478, 192.0.2.1:19302"), [
    { host: "a.example", port: 3478 },
    { host: "192.0.2.1", port: 19302 },
  ]);
  assert.equal(parseStunServers(undefined).length, 2);
  assert.equal(parseStunServers("").length, DEFAULT_STUN_SERVERS.split(",").length);
  assert.deepEqual(parseStunServers("none"), [], "none asks no server");
  assert.throws(() => parseStunServers("stun.example"), /"stun.example" is not host:port/);
  assert.throws(() => parseStunServers("stun.example:70000"), /not host:port/);
});

Deno.test("stun: a Binding request is werift's message; its answer decodes to the mapped address", () => {
  const { bytes, transactionId } = encodeBindingRequest();
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint16(0), 0x0001); // Binding request
  const answer = new Message(methods.BINDING, classes.RESPONSE, Buffer.from(transactionId));
  answer.setAttribute("XOR-MAPPED-ADDRESS", ["203.0.113.7", 40123]);
  const decoded = decodeBindingAnswer(answer.bytes);
  assert.deepEqual(decoded, {
    transactionId: Buffer.from(transactionId).toString("hex"),
    answer: { kind: "mapped", mapped: { host: "203.0.113.7", port: 40123 } },
  });
  const error = new Message(methods.BINDING, classes.ERROR, Buffer.from(transactionId));
  error.setAttribute("ERROR-CODE", [420, "Unknown Attribute"]);
  assert.deepEqual(decodeBindingAnswer(error.bytes)?.answer, {
    kind: "error",
    code: 420,
    reason: "Unknown Attribute",
  });
  assert.equal(
    decodeBindingAnswer(new TextEncoder().encode("not stun at all, 20+ bytes")),
    undefined,
  );
});

Deno.test("stun: a dropped request is retransmitted and the answer arrives", async () => {
  const fake = startFakeStun({ drop: 2 });
  try {
    const r = await probeStun({ host: "127.0.0.1", port: fake.port }, {
      timeoutMs: 2000,
      rtoMs: 50,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(fake.requests, 3);
    assert.equal(r.mapped.host, "127.0.0.1");
    assert.equal(r.mapped.port, r.local.port);
  } finally {
    fake.close();
  }
});

Deno.test("stun: a silent server times out within the budget, retransmitting with backoff", async () => {
  const fake = startFakeStun({ drop: 1000 });
  try {
    const started = performance.now();
    const r = await probeStun({ host: "127.0.0.1", port: fake.port }, {
      timeoutMs: 400,
      rtoMs: 50,
    });
    const ms = performance.now() - started;
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.cause, "timeout");
    assert.ok(ms >= 390 && ms < 900, `took ${ms} ms`);
    // Sends at 0, 50, 150, 350 ms: doubling, not a flood.
    assert.equal(fake.requests, 4);
  } finally {
    fake.close();
  }
});

Deno.test("stun: a stray answer to another transaction is ignored; an error answer is reported", async () => {
  const stray = startFakeStun({ stray: true });
  const refusing = startFakeStun({ error: [500, "Server Error"] });
  try {
    const r = await probeStun({ host: "127.0.0.1", port: stray.port }, { timeoutMs: 1000 });
    assert.ok(r.ok && r.mapped.host === "127.0.0.1", JSON.stringify(r));
    const e = await probeStun({ host: "127.0.0.1", port: refusing.port }, { timeoutMs: 1000 });
    assert.deepEqual(!e.ok && [e.cause, e.message], ["error", "STUN error 500 Server Error"]);
  } finally {
    stray.close();
    refusing.close();
  }
});

Deno.test("stun: a name that does not resolve fails as dns, without sending", async () => {
  const r = await probeStun({ host: "stun.invalid", port: 3478 }, {
    timeoutMs: 500,
    resolve: () => Promise.reject(new Error("no records found")),
  });
  assert.deepEqual(!r.ok && r.cause, "dns");
});

Deno.test("stun: one client asks two servers from the same local port", async () => {
  const a = startFakeStun();
  const b = startFakeStun({ hostname: "127.0.0.2" });
  const client = StunClient.open();
  try {
    const [ra, rb] = await Promise.all([
      client.binding({ host: "127.0.0.1", port: a.port }, { timeoutMs: 1000 }),
      client.binding({ host: "127.0.0.2", port: b.port }, { timeoutMs: 1000 }),
    ]);
    assert.ok(ra.ok && rb.ok);
    assert.equal(ra.local.port, rb.local.port);
    assert.equal(ra.mapped.port, client.local.port);
  } finally {
    client.close();
    a.close();
    b.close();
  }
});

Deno.test({
  name: "stun: real coturn answers with this socket's address [coturn]",
  ignore: coturnMissing() !== undefined,
}, async () => {
  const coturn = await startLoopbackCoturn();
  try {
    const r = await probeStun({ host: "127.0.0.1", port: coturn.port }, { timeoutMs: 2000 });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.mapped.host, "127.0.0.1");
    assert.equal(r.mapped.port, r.local.port);
  } finally {
    await coturn.stop();
  }
});
