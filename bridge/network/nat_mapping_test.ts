import assert from "node:assert/strict";
import { classifyMapping, probeNatMapping } from "./nat_mapping.ts";
import type { StunResult } from "./stun_probe.ts";
import { startFakeStun } from "../../tests/doctor/fake_stun.ts";

const seen = (server: string, address: string, host: string, port: number): StunResult => ({
  ok: true,
  server,
  address,
  mapped: { host, port },
  local: { host: "0.0.0.0", port: 5000 },
  ms: 10,
});
const lost: StunResult = { ok: false, server: "b:3478", cause: "timeout", message: "", ms: 1000 };

Deno.test("nat: the same mapping from two servers is endpoint-independent", () => {
  const r = classifyMapping(
    seen("a:3478", "192.0.2.1", "203.0.113.9", 61000),
    seen("b:3478", "192.0.2.2", "203.0.113.9", 61000),
  );
  assert.equal(r.mapping, "endpoint-independent");
});

Deno.test("nat: a different port per server is endpoint-dependent (symmetric)", () => {
  const r = classifyMapping(
    seen("a:3478", "192.0.2.1", "203.0.113.9", 61000),
    seen("b:3478", "192.0.2.2", "203.0.113.9", 61007),
  );
  assert.equal(r.mapping, "endpoint-dependent");
  assert.match(r.reason, /61000.*61007/);
});

Deno.test("nat: this host's own address and port mean no NAT", () => {
  const r = classifyMapping(
    seen("a:3478", "192.0.2.1", "198.51.100.4", 5000),
    seen("b:3478", "192.0.2.2", "198.51.100.4", 5000),
    ["198.51.100.4"],
  );
  assert.equal(r.mapping, "none");
});

Deno.test("nat: one answer, or both servers on one address, cannot be classified", () => {
  assert.equal(classifyMapping(seen("a:1", "192.0.2.1", "x", 1), lost).mapping, "unknown");
  const same = classifyMapping(
    seen("a:1", "192.0.2.1", "203.0.113.9", 1),
    seen("a:2", "192.0.2.1", "203.0.113.9", 2),
  );
  assert.deepEqual(same, { mapping: "unknown", reason: "both STUN servers are at 192.0.2.1" });
});

Deno.test("nat: the probe asks both servers from ONE socket and classifies what they saw", async () => {
  // Two fakes playing a symmetric NAT: each reports its own public port for the caller.
  const a = startFakeStun({ mapped: () => ["203.0.113.9", 61000] });
  const b = startFakeStun({ hostname: "127.0.0.2", mapped: () => ["203.0.113.9", 61001] });
  const c = startFakeStun({ hostname: "127.0.0.2", mapped: () => ["203.0.113.9", 61000] });
  try {
    const servers = [{ host: "127.0.0.1", port: a.port }, { host: "127.0.0.2", port: b.port }];
    const symmetric = await probeNatMapping(servers, { timeoutMs: 1000, localAddresses: [] });
    assert.equal(symmetric.mapping, "endpoint-dependent");
    const [ra, rb] = symmetric.results;
    assert.ok(ra?.ok && rb?.ok && ra.local.port === rb.local.port, "one local socket");
    const cone = await probeNatMapping(
      [servers[0]!, { host: "127.0.0.2", port: c.port }],
      { timeoutMs: 1000, localAddresses: [] },
    );
    assert.equal(cone.mapping, "endpoint-independent");
  } finally {
    a.close();
    b.close();
    c.close();
  }
});
