import assert from "node:assert/strict";
import { addressScope, ipFamily, parseIPv4, parseIPv6 } from "./ip_scope.ts";

Deno.test("parseIPv4 accepts dotted quads only", () => {
  assert.deepEqual(parseIPv4("157.240.15.51"), [157, 240, 15, 51]);
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.x", "", "1..2.3"]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

Deno.test("parseIPv6 expands ::, embedded IPv4 and zone ids", () => {
  assert.deepEqual(parseIPv6("2a03:2880:f211:cf:face:b00c:0:6443"), [
    0x2a03,
    0x2880,
    0xf211,
    0xcf,
    0xface,
    0xb00c,
    0,
    0x6443,
  ]);
  assert.deepEqual(parseIPv6("::1"), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseIPv6("::"), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseIPv6("fe80::1%eth0"), [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseIPv6("::ffff:10.1.2.3"), [0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]);
  for (
    const bad of [
      "1::2::3",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "g::1",
      "1:2:3:4:5:6:7::8",
      "::1.2.3",
    ]
  ) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});

Deno.test("ipFamily", () => {
  assert.equal(ipFamily("31.13.65.60"), 4);
  assert.equal(ipFamily("fd00::2"), 6);
  assert.equal(ipFamily("a1b2c3.local"), undefined);
});

Deno.test("addressScope classifies every range the candidate filter relies on", () => {
  const cases: [string, string][] = [
    ["31.13.65.60", "public"],
    ["203.0.113.7", "public"],
    ["2a03:2880:f343:131:face:b00c:0:699c", "public"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.9.9.9", "loopback"],
    ["::1", "loopback"],
    ["169.254.10.1", "link-local"],
    ["fe80::fc:ff:fe00:1", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "public"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.20", "private"],
    ["100.64.0.1", "cgnat"],
    ["100.101.102.103", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["100.128.0.1", "public"],
    ["fd7a:115c:a1e0::1234", "tailscale"],
    ["fd7a:115c:a1e1::1", "unique-local"],
    ["fd00::2", "unique-local"],
    ["::ffff:192.168.0.1", "private"],
    ["host.example.com", "hostname"],
    ["a1b2c3d4.local", "hostname"],
  ];
  for (const [address, scope] of cases) assert.equal(addressScope(address), scope, address);
});
