import assert from "node:assert/strict";
import { checkPorts, samplePorts } from "./ports.ts";

Deno.test("doctor ports: the sample is both ends and six spread between, bounded", () => {
  assert.deepEqual(samplePorts(10000, 10070), [
    10000,
    10010,
    10020,
    10030,
    10040,
    10050,
    10060,
    10070,
  ]);
  assert.deepEqual(samplePorts(20000, 20001), [20000, 20001]);
  assert.equal(samplePorts(1024, 65535).length, 8);
});

Deno.test("doctor ports: a bindable range that holds MAX_SESSIONS passes, with its call count", () => {
  const tried: number[] = [];
  const row = checkPorts({
    range: [40000, 40999],
    maxSessions: 100,
    socketsPerCall: 2,
    bind: (p) => void tried.push(p),
  });
  assert.equal(row.status, "ok");
  assert.match(row.detail, /1000 ports, about 500 concurrent calls at 2 sockets a call/);
  assert.equal(tried.length, 8);
});

Deno.test("doctor ports: a port that cannot be bound fails with the fix", () => {
  const row = checkPorts({
    range: [40000, 40999],
    maxSessions: 1,
    socketsPerCall: 1,
    bind: (p) => {
      if (p === 40999) throw new Deno.errors.PermissionDenied("Permission denied (os error 13)");
    },
  });
  assert.equal(row.status, "fail");
  assert.match(row.detail, /cannot bind 40999 \(Permission denied/);
});

Deno.test("doctor ports: a range too small for MAX_SESSIONS fails", () => {
  const row = checkPorts({
    range: [40000, 40099],
    maxSessions: 100,
    socketsPerCall: 2,
    bind: () => {},
  });
  assert.equal(row.status, "fail");
  assert.match(row.fix!, /at least 200 ports/);
});

Deno.test("doctor ports: real sockets; a range held by another process fails as in use", () => {
  // A free block found by the OS, then held.
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const base = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const min = Math.min(base, 65535 - 20);
  assert.equal(
    checkPorts({ range: [min, min + 7], maxSessions: 1, socketsPerCall: 1 }).status,
    "ok",
  );
  const held = [];
  for (let p = min; p <= min + 7; p++) {
    try {
      held.push(Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: p }));
    } catch {
      // taken meanwhile: counts as in use as well
    }
  }
  try {
    const row = checkPorts({ range: [min, min + 7], maxSessions: 1, socketsPerCall: 1 });
    assert.equal(row.status, "fail");
    assert.match(row.detail, /already in use/);
  } finally {
    for (const s of held) s.close();
  }
});

Deno.test("doctor ports: no range is skipped with the reason", () => {
  assert.equal(checkPorts({ range: undefined, maxSessions: 1, socketsPerCall: 1 }).status, "skip");
});
