/**
 * `deno task doctor` on real Linux networks (namespaces this test creates
 * and removes): a host with no route out, a host behind a symmetric NAT with
 * two STUN servers (coturn on two addresses), one behind an ordinary
 * masquerade, and a 1:1 NAT checked against `PUBLIC_IP`.
 */
import assert from "node:assert/strict";
import { coturnMissing, startCoturn, TURN_USER } from "../support/coturn.ts";
import { type NatKind, natLab, NetLab, netnsUnavailable, spawnIn } from "../support/netns.ts";
import { tableRow } from "../../bridge/doctor/table_test_utils.ts";

const unavailable = netnsUnavailable() ?? coturnMissing();
const DOCTOR = new URL("../../cli/doctor.ts", import.meta.url).pathname;
const SECRET = "netns-doctor-secret-0123456789";
const STUN_PORT = 3478;

/** Runs the doctor inside `ns` to completion (bounded by its own timeouts; killed after 60 s). */
async function doctorIn(
  lab: NetLab,
  ns: string,
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const proc = lab.spawn(ns, Deno.execPath(), ["run", "-A", DOCTOR], {
    NO_COLOR: "1",
    VOICE_BRIDGE_SECRET: SECRET,
    STORE_PGLITE_DIR: "memory://",
    ...env,
  });
  await proc.child.stdin.close();
  const killer = setTimeout(() => proc.child.kill("SIGKILL"), 60_000);
  try {
    const [status, out] = await Promise.all([
      proc.child.status,
      new Response(proc.child.stdout).text(),
      new Response(proc.child.stderr).text(),
    ]);
    return { code: status.code, out };
  } finally {
    clearTimeout(killer);
  }
}

Deno.test({
  name: `doctor netns: no egress fails the UDP, OpenAI and Graph rows with their fixes${
    unavailable ? ` (skipped: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const lab = new NetLab();
  try {
    const ns = await lab.addNs("noegress"); // loopback only: no route anywhere
    const { code, out } = await doctorIn(lab, ns, {
      STUN_SERVERS: `203.0.113.10:${STUN_PORT},203.0.113.11:${STUN_PORT}`,
      OPENAI_API_KEY: "sk-netns-key-0123456789",
      OPENAI_REALTIME_URL: "wss://203.0.113.20/v1/realtime",
      WHATSAPP_ACCESS_TOKEN: "EAAG-netns-token-0123456789",
      WHATSAPP_GRAPH_URL: "https://203.0.113.21/v23.0",
    });
    assert.equal(code, 1, out);
    assert.match(
      tableRow(out, "network", /UDP egress/),
      /^✘ .*203\.0\.113\.10:3478: unreachable[^]*fix: this host has no route to the internet/,
    );
    assert.match(
      tableRow(out, "openai", /Realtime/),
      /^✘ [^]*fix: the network blocks the Realtime API/,
    );
    assert.match(
      tableRow(out, "graph", /token/),
      /^✘ [^]*fix: allow outbound HTTPS to graph\.facebook\.com/,
    );
    assert.doesNotMatch(out, /sk-netns-key|EAAG-netns-token|netns-doctor-secret/);
  } finally {
    await lab.close();
  }
});

/** A NAT lab with coturn on both public addresses; runs the doctor in the bridge namespace. */
async function behindNat(
  nat: NatKind,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; lab: Awaited<ReturnType<typeof natLab>> }> {
  const lab = await natLab({ nat });
  try {
    const [a, b] = lab.publicAddrs as [string, string];
    // No TLS, so nothing to remove: lab.close() stopping the process is enough.
    await startCoturn({
      listen: [a, b],
      port: STUN_PORT,
      relayPorts: [49400, 49500],
      spawn: spawnIn(lab.lab, lab.ns.public),
      readyTimeoutMs: 5000,
    });
    const result = await doctorIn(lab.lab, lab.ns.bridge, {
      STUN_SERVERS: `${a}:${STUN_PORT},${b}:${STUN_PORT}`,
      ICE_SERVERS: JSON.stringify([{ urls: `turn:${a}:${STUN_PORT}`, ...TURN_USER }]),
      ...env,
    });
    return { ...result, lab };
  } catch (error) {
    await lab.close();
    throw error;
  }
}

Deno.test({
  name: `doctor netns: a symmetric NAT is endpoint-dependent, shown as fine for calls${
    unavailable ? ` (skipped: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const { out, lab } = await behindNat("symmetric");
  try {
    // No network or TURN row fails (the exit status also counts the store row, which only
    // says how fast PGlite boots on a loaded machine).
    assert.doesNotMatch(out, /^✘ (network|turn) /m, out);
    assert.match(tableRow(out, "network", /UDP egress/), /^✔ .*sees 198\.51\.100\.1:\d+/);
    assert.match(
      tableRow(out, "network", /NAT mapping/),
      /^✔ .*endpoint-dependent \(symmetric NAT\).*fine for calls/,
    );
    assert.match(tableRow(out, "network", /PUBLIC_IP/), /^– .*not on this host/);
    // TURN allocates through it too.
    assert.match(tableRow(out, "turn", /\(udp\)/), /^✔ .*relay 203\.0\.113\.10:\d+/);
  } finally {
    await lab.close();
  }
});

Deno.test({
  name: `doctor netns: an ordinary masquerade is endpoint-independent${
    unavailable ? ` (skipped: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const { out, lab } = await behindNat("masquerade");
  try {
    assert.match(
      tableRow(out, "network", /NAT mapping/),
      /^✔ .*endpoint-independent: .* both see 198\.51\.100\.1:\d+/,
    );
  } finally {
    await lab.close();
  }
});

Deno.test({
  name: `doctor netns: 1:1 NAT with the right PUBLIC_IP passes, with a wrong one fails${
    unavailable ? ` (skipped: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
}, async () => {
  const { code, out, lab } = await behindNat("one_to_one", { PUBLIC_IP: "198.51.100.10" });
  try {
    assert.equal(code, 0, out);
    assert.match(tableRow(out, "network", /PUBLIC_IP/), /^✔ .*198\.51\.100\.10 is what STUN sees/);
    const wrong = await doctorIn(lab.lab, lab.ns.bridge, {
      STUN_SERVERS: `${lab.publicAddrs[0]}:${STUN_PORT}`,
      PUBLIC_IP: "198.51.100.99",
    });
    assert.equal(wrong.code, 1);
    assert.match(
      tableRow(wrong.out, "network", /PUBLIC_IP/),
      /^✘ .*PUBLIC_IP is 198\.51\.100\.99 but STUN sees 198\.51\.100\.10[^]*fix: set PUBLIC_IP=198\.51\.100\.10/,
    );
  } finally {
    await lab.close();
  }
});
