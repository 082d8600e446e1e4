import assert from "node:assert/strict";
import { configSecrets, defaultIdleTimeoutMs, loadConfig, sessionLimits } from "./config.ts";

const secret = "0123456789abcdef0123";

Deno.test("loadConfig applies defaults and picks echo without a key", () => {
  const c = loadConfig({ VOICE_BRIDGE_SECRET: secret });
  assert.equal(c.agent, "echo");
  assert.equal(c.env.BRIDGE_PORT, 8080);
  assert.equal(c.env.MAX_SESSIONS, 100);
  assert.equal(c.env.MAX_CALL_MINUTES, 55);
  assert.equal(c.env.OPENAI_REALTIME_MODEL, "gpt-realtime-2.1");
  assert.equal(c.env.MEDIA_REALTIME_PRIORITY, 10);
  assert.equal(c.portRange, undefined);
});

Deno.test("loadConfig: MEDIA_REALTIME_PRIORITY is 0 (off) to 99", () => {
  assert.equal(
    loadConfig({ VOICE_BRIDGE_SECRET: secret, MEDIA_REALTIME_PRIORITY: "0" }).env
      .MEDIA_REALTIME_PRIORITY,
    0,
  );
  for (const bad of ["100", "-1", "abc", "1.5"]) {
    assert.throws(
      () => loadConfig({ VOICE_BRIDGE_SECRET: secret, MEDIA_REALTIME_PRIORITY: bad }),
      /MEDIA_REALTIME_PRIORITY/,
    );
  }
});

Deno.test("loadConfig picks openai when a key is set and reads instructions from a file", () => {
  const c = loadConfig(
    { VOICE_BRIDGE_SECRET: secret, OPENAI_API_KEY: "sk-x", AGENT_INSTRUCTIONS: "/p.txt" },
    (p) => (p === "/p.txt" ? "Be brief." : undefined),
  );
  assert.equal(c.agent, "openai");
  assert.equal(c.instructions, "Be brief.");
});

Deno.test("loadConfig names every bad variable", () => {
  assert.throws(
    () => loadConfig({ VOICE_BRIDGE_SECRET: "short", BRIDGE_PORT: "x", PUBLIC_IP: "nope" }),
    (e: Error) =>
      e.message.includes("VOICE_BRIDGE_SECRET") && e.message.includes("BRIDGE_PORT") &&
      e.message.includes("PUBLIC_IP"),
  );
  assert.throws(
    () => loadConfig({ VOICE_BRIDGE_SECRET: secret, AGENT: "openai" }),
    /OPENAI_API_KEY/,
  );
  assert.throws(
    () => loadConfig({ VOICE_BRIDGE_SECRET: secret, RTP_PORT_MIN: "5000", RTP_PORT_MAX: "4000" }),
    /RTP_PORT_MAX/,
  );
  assert.throws(
    () => loadConfig({ VOICE_BRIDGE_SECRET: secret, AGENT_TOOLS: '[{"name":"x"}]' }),
    /AGENT_TOOLS/,
  );
});

Deno.test("loadConfig parses tools, ICE servers and the RTP port range", () => {
  const c = loadConfig({
    VOICE_BRIDGE_SECRET: secret,
    AGENT_TOOLS: JSON.stringify([{ name: "lookup_order", url: "http://127.0.0.1:9/x" }]),
    ICE_SERVERS: JSON.stringify([
      { urls: "turn:turn.example.com:3478", username: "u", credential: "p" },
    ]),
    RTP_PORT_MIN: "40000",
    RTP_PORT_MAX: "40999",
  });
  assert.equal(c.tools[0]!.name, "lookup_order");
  assert.deepEqual(c.tools[0]!.parameters, { type: "object", properties: {} });
  assert.equal(c.iceServers[0]!.urls, "turn:turn.example.com:3478");
  assert.deepEqual(c.portRange, [40000, 40999]);
});

Deno.test("loadConfig: ICE_SERVERS URLs werift would skip silently stop the bridge, naming no secret", () => {
  const ice = (entry: Record<string, string>) =>
    loadConfig({ VOICE_BRIDGE_SECRET: secret, ICE_SERVERS: JSON.stringify([entry]) });
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ urls: "http://turn.example.com" }, /not a stun:, turn: or turns: URL/],
    [{ urls: "turn:turn.example.com:3478", username: "u" }, /needs username and credential/],
    [{ urls: "turns:turn.example.com?transport=udp", username: "u", credential: "p" }, /UDP/],
    [{ urls: "turn:turn.example.com:99999", username: "u", credential: "p" }, /host\[:port\]/],
  ];
  for (const [entry, message] of bad) {
    assert.throws(
      () => ice(entry),
      (e: Error) => /ICE_SERVERS/.test(e.message) && message.test(e.message),
    );
  }
  assert.throws(
    () =>
      ice({ urls: "turn:user:hunter2-secret@turn.example.com", username: "u", credential: "p" }),
    (e: Error) => !e.message.includes("hunter2-secret"),
  );
  assert.equal(ice({ urls: "stun:stun.example.com" }).iceServers.length, 1);
});

Deno.test("loadConfig: ICE_GATHER_TIMEOUT_MS defaults to 800 and must fit the 1.5 s answer deadline", () => {
  assert.equal(loadConfig({ VOICE_BRIDGE_SECRET: secret }).env.ICE_GATHER_TIMEOUT_MS, 800);
  assert.equal(
    loadConfig({ VOICE_BRIDGE_SECRET: secret, ICE_GATHER_TIMEOUT_MS: "500" }).env
      .ICE_GATHER_TIMEOUT_MS,
    500,
  );
  for (const bad of ["1500", "10", "abc"]) {
    assert.throws(
      () => loadConfig({ VOICE_BRIDGE_SECRET: secret, ICE_GATHER_TIMEOUT_MS: bad }),
      /ICE_GATHER_TIMEOUT_MS/,
    );
  }
});

Deno.test("sessionLimits: MAX_CALL_MINUTES is minutes, the timeouts keep their units, all in ms", () => {
  const limits = (vars: Record<string, string>) =>
    sessionLimits(loadConfig({ VOICE_BRIDGE_SECRET: secret, ...vars }).env);
  assert.deepEqual(
    limits({
      MAX_CALL_MINUTES: "3",
      CALLER_SILENCE_TIMEOUT_S: "45",
      MEDIA_CONNECT_TIMEOUT_MS: "7000",
    }),
    { maxCallMs: 180_000, callerSilenceTimeoutMs: 45_000, mediaConnectTimeoutMs: 7_000 },
  );
  assert.equal(limits({ MAX_CALL_MINUTES: "0.5" }).maxCallMs, 30_000);
  assert.deepEqual(limits({}), {
    maxCallMs: 55 * 60_000,
    callerSilenceTimeoutMs: 120_000,
    mediaConnectTimeoutMs: 10_000,
  });
  assert.equal(limits({ CALLER_SILENCE_TIMEOUT_S: "0" }).callerSilenceTimeoutMs, 0, "0 disables");
});

Deno.test("configSecrets lists every secret value the configuration holds", () => {
  const c = loadConfig({
    VOICE_BRIDGE_SECRET: secret,
    OPENAI_API_KEY: "sk-live-key",
    WHATSAPP_ACCESS_TOKEN: "EAAG-token",
    ICE_SERVERS: JSON.stringify([{ urls: "turn:t:3478", username: "u", credential: "turn-pass" }]),
  });
  assert.deepEqual(configSecrets(c), [secret, "sk-live-key", "EAAG-token", "turn-pass"]);
  assert.deepEqual(configSecrets(loadConfig({ VOICE_BRIDGE_SECRET: secret })), [secret]);
});

Deno.test("loadConfig: the OpenAI session variables and their defaults", () => {
  const env = (vars: Record<string, string> = {}) =>
    loadConfig({ VOICE_BRIDGE_SECRET: secret, ...vars }).env;
  const d = env();
  assert.equal(d.AGENT_TRANSCRIPTION_MODEL, "gpt-live-transcribe");
  assert.equal(d.AGENT_VAD_EAGERNESS, "auto");
  assert.equal(d.AGENT_NOISE_REDUCTION, "near_field");
  assert.equal(d.AGENT_TRUNCATION, "auto");
  assert.equal(d.AGENT_TRANSCRIPTION_LANGUAGE, undefined);
  // The model re-engages a silent caller well before the bridge hangs up on them.
  assert.equal(d.AGENT_IDLE_TIMEOUT_MS, 10_000);
  assert.ok(d.AGENT_IDLE_TIMEOUT_MS < d.CALLER_SILENCE_TIMEOUT_S * 1000);
  assert.deepEqual(env({ AGENT_TRANSCRIPTION_LANGUAGE: "es,en" }).AGENT_TRANSCRIPTION_LANGUAGE, [
    "es",
    "en",
  ]);
  assert.deepEqual(env({ AGENT_TRUNCATION: "0.8" }).AGENT_TRUNCATION, {
    type: "retention_ratio",
    retention_ratio: 0.8,
  });
  assert.equal(env({ AGENT_TRUNCATION: "disabled" }).AGENT_TRUNCATION, "disabled");
  assert.equal(env({ AGENT_IDLE_TIMEOUT_MS: "0" }).AGENT_IDLE_TIMEOUT_MS, 0);
  assert.equal(env({ AGENT_VAD_EAGERNESS: "high" }).AGENT_VAD_EAGERNESS, "high");
});

Deno.test("loadConfig: the idle timeout is off or in the service's range, and below the silence hang-up", () => {
  const load = (vars: Record<string, string>) =>
    loadConfig({ VOICE_BRIDGE_SECRET: secret, ...vars });
  for (const bad of ["4999", "30001", "abc"]) {
    assert.throws(() => load({ AGENT_IDLE_TIMEOUT_MS: bad }), /AGENT_IDLE_TIMEOUT_MS/);
  }
  assert.throws(
    () => load({ AGENT_IDLE_TIMEOUT_MS: "20000", CALLER_SILENCE_TIMEOUT_S: "20" }),
    /AGENT_IDLE_TIMEOUT_MS: must be below CALLER_SILENCE_TIMEOUT_S/,
  );
  assert.equal(
    load({ AGENT_IDLE_TIMEOUT_MS: "19999", CALLER_SILENCE_TIMEOUT_S: "20" }).env
      .AGENT_IDLE_TIMEOUT_MS,
    19_999,
  );
  assert.equal(
    load({ AGENT_IDLE_TIMEOUT_MS: "30000", CALLER_SILENCE_TIMEOUT_S: "0" }).env
      .AGENT_IDLE_TIMEOUT_MS,
    30_000,
    "no silence hang-up, no bound",
  );
  // Unset, it fits under a short silence hang-up, or is off.
  assert.equal(load({ CALLER_SILENCE_TIMEOUT_S: "10" }).env.AGENT_IDLE_TIMEOUT_MS, 5_000);
  assert.deepEqual([120_000, 14_000, 10_000, 6_000, 5_000, 0].map(defaultIdleTimeoutMs), [
    10_000,
    7_000,
    5_000,
    5_000,
    0,
    10_000,
  ]);
  for (
    const [name, bad] of [
      ["AGENT_TRANSCRIPTION_LANGUAGE", "english"],
      ["AGENT_TRUNCATION", "1.5"],
      ["AGENT_TRUNCATION", "sometimes"],
      ["AGENT_VAD_EAGERNESS", "eager"],
      ["AGENT_NOISE_REDUCTION", "studio"],
    ]
  ) {
    assert.throws(() => load({ [name!]: bad! }), new RegExp(name!));
  }
});

Deno.test("config: the outbox lives under .data unless STORE_OUTBOX_PATH says where", () => {
  const base = { VOICE_BRIDGE_SECRET: "0123456789abcdef0123" };
  assert.equal(loadConfig(base).env.STORE_OUTBOX_PATH, ".data/outbox.jsonl");
  assert.equal(
    loadConfig({ ...base, STORE_OUTBOX_PATH: "" }).env.STORE_OUTBOX_PATH,
    ".data/outbox.jsonl",
  );
  assert.equal(
    loadConfig({ ...base, STORE_OUTBOX_PATH: "/var/lib/bridge/outbox.jsonl" }).env
      .STORE_OUTBOX_PATH,
    "/var/lib/bridge/outbox.jsonl",
  );
  assert.equal(loadConfig(base).env.ICE_ALLOW_PRIVATE_CANDIDATES, false);
});

Deno.test("config: the database password is among the secrets the logs blank", () => {
  const config = loadConfig({ VOICE_BRIDGE_SECRET: "0123456789abcdef0123" });
  const secrets = configSecrets(config, {
    DATABASE_URL: "postgres://app:s%40cret-pw@db.internal:5432/calls",
  });
  assert.ok(secrets.includes("s@cret-pw"));
  assert.ok(secrets.includes("s%40cret-pw"));
  assert.ok(!configSecrets(config, {}).some((s) => s.includes("cret-pw")));
});

Deno.test("config: the recording bucket's secret key and the link secret are blanked in logs", () => {
  const config = loadConfig({ VOICE_BRIDGE_SECRET: "0123456789abcdef0123" });
  const secrets = configSecrets(config, {
    RECORDINGS_S3_SECRET_ACCESS_KEY: "s3-secret-access-key",
    RECORDING_LINK_SECRET: "recording-link-secret",
  });
  assert.ok(secrets.includes("s3-secret-access-key"));
  assert.ok(secrets.includes("recording-link-secret"));
});
