import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { eventLogger } from "../log.ts";
import { logNetworkSummary, summarizeNetwork, summaryNeedsAttention } from "./network_summary.ts";
import { parseIceServers } from "./ice_servers.ts";
import type { TurnProbeResult } from "./turn_probe.ts";
import { startFakeStun } from "../../tests/doctor/fake_stun.ts";
import { coturnMissing, startLoopbackCoturn, TURN_USER } from "../../tests/support/coturn.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";

const SECRET = "0123456789abcdef0123";

Deno.test("network summary: STUN's address, NAT mapping, PUBLIC_IP match and TURN usable/failed", async () => {
  const a = startFakeStun({ mapped: () => ["203.0.113.9", 61000] });
  const b = startFakeStun({ hostname: "127.0.0.2", mapped: () => ["203.0.113.9", 61000] });
  try {
    const servers = parseIceServers([
      { urls: "turn:relay-a.example:3478", username: "u", credential: "cred-a-very-secret" },
      { urls: "turns:relay-b.example:5349", username: "u", credential: "cred-b-very-secret" },
    ]);
    const summary = await summarizeNetwork({
      transport: "libc",
      publicIp: "203.0.113.9",
      stunServers: [{ host: "127.0.0.1", port: a.port }, { host: "127.0.0.2", port: b.port }],
      iceServers: servers,
      timeoutMs: 1000,
      localAddresses: ["127.0.0.1", "10.0.0.5"],
      probeTurn: (s): Promise<TurnProbeResult> =>
        Promise.resolve(
          s.host === "relay-a.example"
            ? {
              ok: true,
              url: s.display,
              transport: s.transport,
              relayed: { host: "198.51.100.3", port: 50000 },
              mapped: { host: "203.0.113.9", port: 61002 },
              ms: 20,
            }
            : {
              ok: false,
              url: s.display,
              transport: s.transport,
              cause: "auth",
              message: "401",
              ms: 9,
            },
        ),
    });
    assert.equal(summary.stun, "203.0.113.9:61000");
    assert.equal(summary.natMapping, "endpoint-independent");
    assert.equal(summary.publicIpMatchesStun, true);
    assert.deepEqual(summary.localAddresses, ["10.0.0.5"]);
    assert.deepEqual(summary.turnUsable, ["turn:relay-a.example:3478"]);
    assert.deepEqual(summary.turnFailed, [{
      url: "turns:relay-b.example:5349",
      transport: "tls",
      cause: "auth",
    }]);
    assert.equal(summaryNeedsAttention(summary), true);
    assert.doesNotMatch(JSON.stringify(summary), /very-secret/);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("network summary: no STUN answer within the bound is 'unreachable'", async () => {
  const silent = startFakeStun({ drop: 1000 });
  try {
    const started = performance.now();
    const summary = await summarizeNetwork({
      transport: "deno",
      publicIp: undefined,
      stunServers: [{ host: "127.0.0.1", port: silent.port }],
      iceServers: [],
      timeoutMs: 300,
      probeTurn: () => Promise.reject(new Error("no TURN configured")),
    });
    assert.ok(performance.now() - started < 1000);
    assert.equal(summary.stun, "unreachable");
    assert.match(summary.stunDetail, /timeout/);
    assert.equal(summaryNeedsAttention(summary), true);
  } finally {
    silent.close();
  }
});

Deno.test({
  name: "network summary: one BRIDGE_NETWORK line with real coturn, credentials absent [coturn]",
  ignore: coturnMissing() !== undefined,
}, async () => {
  const coturn = await startLoopbackCoturn(["127.0.0.1", "127.0.0.2"]);
  const logs = await captureLogs();
  try {
    const config = loadConfig({
      VOICE_BRIDGE_SECRET: SECRET,
      STUN_SERVERS: `127.0.0.1:${coturn.port},127.0.0.2:${coturn.port}`,
      ICE_SERVERS: JSON.stringify([
        { urls: `turn:127.0.0.1:${coturn.port}`, ...TURN_USER },
        {
          urls: `turn:127.0.0.1:${coturn.port}?transport=tcp`,
          username: "bridge",
          credential: "wrong-cred-xyz",
        },
      ]),
    });
    await logNetworkSummary(config, "libc", eventLogger<"BRIDGE_NETWORK">());
    const lines = logs.find("BRIDGE_NETWORK");
    assert.equal(lines.length, 1);
    const p = lines[0]!.properties;
    assert.equal(lines[0]!.level, "warning"); // one TURN URL failed
    assert.match(String(p.stun), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(p.turnUsable, [`turn:127.0.0.1:${coturn.port}`]);
    assert.deepEqual((p.turnFailed as { cause: string }[]).map((f) => f.cause), ["auth"]);
    const text = JSON.stringify(lines[0]);
    assert.doesNotMatch(text, new RegExp(`${TURN_USER.credential}|wrong-cred-xyz|${SECRET}`));
  } finally {
    await logs.stop();
    await coturn.stop();
  }
});

Deno.test("network summary: the bridge process logs BRIDGE_NETWORK after listening, not before", async () => {
  const silent = startFakeStun({ drop: 1000 }); // STUN never answers: the slowest case
  const outbox = await Deno.makeTempFile();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
    env: {
      VOICE_BRIDGE_SECRET: SECRET,
      BRIDGE_HOST: "127.0.0.1",
      BRIDGE_PORT: "0",
      STORE_PGLITE_DIR: "memory://",
      STORE_OUTBOX_PATH: outbox,
      STUN_SERVERS: `127.0.0.1:${silent.port}`,
      MEDIA_REALTIME_PRIORITY: "0",
      LOG_FORMAT: "json",
      OPUS_FORCE_WASM: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const events: { event: string; at: number; props: Record<string, unknown> }[] = [];
  const started = performance.now();
  // LogTape's console sink writes info to stdout and warnings to stderr: read both.
  const collect = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines.filter((l) => l.startsWith("{"))) {
        const record = JSON.parse(line) as { message: string; properties: Record<string, unknown> };
        events.push({ event: record.message, at: performance.now(), props: record.properties });
      }
    }
  };
  const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
  try {
    while (
      !events.some((e) => e.event === "BRIDGE_NETWORK") && performance.now() - started < 30_000
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const listening = events.find((e) => e.event === "VOICE_BRIDGE_LISTENING");
    const network = events.filter((e) => e.event === "BRIDGE_NETWORK");
    assert.ok(listening, events.map((e) => e.event).join(", "));
    assert.equal(network.length, 1);
    // Listening came first, and the summary within its 3 s bound after it.
    assert.ok(listening.at <= network[0]!.at);
    assert.equal(network[0]!.props.stun, "unreachable");
    assert.ok(Number(network[0]!.props.ms) < 3500, String(network[0]!.props.ms));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reading.catch(() => {});
    silent.close();
    await Deno.remove(outbox).catch(() => {});
  }
});
