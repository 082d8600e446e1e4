import assert from "node:assert/strict";
import { egressFix, networkRows } from "./network.ts";
import type { NatMappingResult } from "../network/nat_mapping.ts";
import type { StunResult } from "../network/stun_probe.ts";

const seen = (port: number, server = "a:3478"): StunResult => ({
  ok: true,
  server,
  address: "192.0.2.1",
  mapped: { host: "203.0.113.9", port },
  local: { host: "0.0.0.0", port: 5000 },
  ms: 12,
});
const failed = (cause: "timeout" | "unreachable" | "dns"): StunResult => ({
  ok: false,
  server: "a:3478",
  cause,
  message: cause,
  ms: 1000,
});
const servers = ["a:3478", "b:3478"];

function rows(probe: NatMappingResult, publicIp?: string, local: string[] = ["10.0.0.5"]) {
  return networkRows({ servers, probe, publicIp, localAddresses: local });
}

Deno.test("doctor network: STUN's address, an endpoint-independent NAT, a matching PUBLIC_IP pass", () => {
  const [egress, nat, pub] = rows({
    mapping: "endpoint-independent",
    reason: "both see 203.0.113.9:61000",
    results: [seen(61000), seen(61000, "b:3478")],
  }, "203.0.113.9");
  assert.equal(egress!.status, "ok");
  assert.match(egress!.detail, /a:3478 sees 203\.0\.113\.9:61000/);
  assert.equal(nat!.status, "ok");
  assert.equal(pub!.status, "ok");
});

Deno.test("doctor network: no egress fails with the fix for its cause", () => {
  const [egress, nat, pub] = rows({
    mapping: "unknown",
    reason: "0 of 2 STUN servers answered",
    results: [failed("unreachable"), failed("timeout")],
  });
  assert.equal(egress!.status, "fail");
  assert.match(egress!.fix!, /no route/);
  assert.equal(nat!.status, "skip");
  assert.equal(pub!.status, "skip");
  assert.match(egressFix([{ cause: "timeout" }]), /outbound UDP is blocked/);
  assert.match(egressFix([{ cause: "dns" }]), /do not resolve/);
});

Deno.test("doctor network: a symmetric NAT passes: Meta's ICE-lite relay answers any port", () => {
  const [, nat] = rows({
    mapping: "endpoint-dependent",
    reason: "a sees :61000, b sees :61001",
    results: [seen(61000), seen(61001, "b:3478")],
  });
  assert.equal(nat!.status, "ok");
  assert.match(nat!.detail, /endpoint-dependent \(symmetric NAT\).*fine for calls/);
});

Deno.test("doctor network: PUBLIC_IP other than STUN's address fails, naming the right one", () => {
  const [, , pub] = rows(
    { mapping: "unknown", reason: "", results: [seen(61000)] },
    "198.51.100.7",
  );
  assert.equal(pub!.status, "fail");
  assert.match(pub!.detail, /PUBLIC_IP is 198\.51\.100\.7 but STUN sees 203\.0\.113\.9/);
  assert.match(pub!.fix!, /PUBLIC_IP=203\.0\.113\.9/);
  const [, , unset] = rows({ mapping: "unknown", reason: "", results: [seen(61000)] });
  assert.equal(unset!.status, "skip");
  assert.match(unset!.detail, /set PUBLIC_IP=203\.0\.113\.9 on a 1:1 NAT host/);
});
