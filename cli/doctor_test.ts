/**
 * `deno task doctor` as an operator runs it: a subprocess over a real
 * coturn (STUN on two addresses and TURN), the fake OpenAI Realtime and
 * Graph services, a migrated PGlite and a running bridge; the table and the
 * exit status are asserted, and no secret may appear in what it prints.
 */
import assert from "node:assert/strict";
import { FakeRealtimeServer } from "../tests/fakes/openai_realtime.ts";
import { FakeMetaGraph } from "../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../simulator/meta_webhooks.ts";
import { openStore } from "../store/open.ts";
import { coturnMissing, startLoopbackCoturn, TURN_USER } from "../tests/support/coturn.ts";
import { startTestBridge, TEST_BRIDGE_SECRET } from "../tests/support/test_bridge.ts";
import { tableRow } from "../bridge/doctor/table_test_utils.ts";

const OPENAI_KEY = "sk-doctor-test-key-0123456789";
const GRAPH_TOKEN = "EAAG-doctor-graph-token-0123456789";
const MODEL = "gpt-realtime-2.1";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function runDoctorCli(env: Record<string, string>, args: string[] = []): Promise<Run> {
  const base: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./doctor.ts", import.meta.url).pathname, ...args],
    env: { ...base, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function freeRange(size: number): [number, number] {
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const min = Math.min(port, 65535 - size);
  return [min, min + size - 1];
}

Deno.test({
  name: "doctor CLI: all green exits 0; wrong credentials everywhere exit 1 with each fix [coturn]",
  ignore: coturnMissing() !== undefined,
}, async () => {
  const coturn = await startLoopbackCoturn(["127.0.0.1", "127.0.0.2"]);
  const openai = FakeRealtimeServer.start({ apiKey: OPENAI_KEY, models: [MODEL] });
  const graph = await new FakeMetaGraph({ accessToken: GRAPH_TOKEN }).start();
  const { bridge } = startTestBridge();
  const dir = await Deno.makeTempDir();
  await (await openStore({ pgliteDir: `${dir}/pglite` })).close();
  const [min, max] = freeRange(64);
  const turnUrl = `turn:127.0.0.1:${coturn.port}`;
  const env = {
    VOICE_BRIDGE_SECRET: TEST_BRIDGE_SECRET,
    STUN_SERVERS: `127.0.0.1:${coturn.port},127.0.0.2:${coturn.port}`,
    ICE_SERVERS: JSON.stringify([
      { urls: turnUrl, ...TURN_USER },
      { urls: `${turnUrl}?transport=tcp`, ...TURN_USER },
    ]),
    RTP_PORT_MIN: String(min),
    RTP_PORT_MAX: String(max),
    MAX_SESSIONS: "4",
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_REALTIME_URL: openai.url,
    OPENAI_REALTIME_MODEL: MODEL,
    WHATSAPP_GRAPH_URL: graph.url,
    WHATSAPP_ACCESS_TOKEN: GRAPH_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: DEFAULT_BUSINESS.phoneNumberId,
    STORE_PGLITE_DIR: `${dir}/pglite`,
  };
  const functionsEnv = `${dir}/functions.env`;
  try {
    await Deno.writeTextFile(
      functionsEnv,
      `VOICE_BRIDGE_SECRET=${TEST_BRIDGE_SECRET}\nVOICE_BRIDGE_URL=${bridge.url}\n`,
    );
    const green = await runDoctorCli(env, ["--functions-env", functionsEnv]);
    assert.equal(green.code, 0, green.stdout + green.stderr);
    const t = green.stdout;
    assert.match(tableRow(t, "config", /bridge configuration/), /^✔/);
    assert.match(tableRow(t, "network", /UDP egress/), /^✔.*sees 127\.0\.0\.1:\d+/);
    assert.match(tableRow(t, "network", /NAT mapping/), /^✔.*no NAT/);
    assert.match(tableRow(t, "turn", /\(udp\)/), /^✔.*relay 127\.0\.0\.1/);
    assert.match(tableRow(t, "turn", /\(tcp\)/), /^✔/);
    assert.match(tableRow(t, "ports", /RTP port range/), /^✔.*64 ports/);
    assert.match(tableRow(t, "openai", /Realtime/), /^✔.*session\.created/);
    assert.match(tableRow(t, "graph", /token and phone number id/), /^✔.*\+1631•••3601/);
    assert.match(tableRow(t, "store", /database/), /^✔/);
    assert.match(tableRow(t, "secrets", /agrees/), /^✔/);
    assert.match(tableRow(t, "secrets", /bridge accepts/), /^✔/);

    // Now every credential wrong, and PUBLIC_IP not what STUN sees.
    await Deno.writeTextFile(
      functionsEnv,
      `VOICE_BRIDGE_SECRET=functions-other-secret-42\nVOICE_BRIDGE_URL=${bridge.url}\n`,
    );
    const red = await runDoctorCli({
      ...env,
      ICE_SERVERS: JSON.stringify([{
        urls: turnUrl,
        username: "bridge",
        credential: "wrong-turn-cred-1",
      }]),
      OPENAI_API_KEY: "sk-wrong-openai-key-77",
      WHATSAPP_ACCESS_TOKEN: "EAAG-expired-token-0000",
      PUBLIC_IP: "198.51.100.7",
    }, ["--functions-env", functionsEnv]);
    assert.equal(red.code, 1, red.stdout + red.stderr);
    const r = red.stdout;
    assert.match(
      tableRow(r, "turn", /\(udp\)/),
      /^✘ .*auth: [^]*fix: the TURN server refuses these credentials/,
    );
    assert.match(
      tableRow(r, "openai", /Realtime/),
      /^✘ .*wrong key[^]*fix: OpenAI does not accept OPENAI_API_KEY/,
    );
    assert.match(
      tableRow(r, "graph", /token/),
      /^✘ .*Graph error 190[^]*fix: WHATSAPP_ACCESS_TOKEN is invalid/,
    );
    assert.match(
      tableRow(r, "network", /PUBLIC_IP/),
      /^✘ .*but STUN sees 127\.0\.0\.1[^]*fix: set PUBLIC_IP=127\.0\.0\.1/,
    );
    assert.match(tableRow(r, "secrets", /agrees/), /^✘ [^]*fix: set the same value on both/);
    assert.match(tableRow(r, "secrets", /bridge accepts/), /^✘ .*HTTP 401/);
    assert.match(r, /\d+ passed, 6 failed, \d+ skipped/);
    const printed = green.stdout + green.stderr + red.stdout + red.stderr;
    for (
      const secret of [
        TEST_BRIDGE_SECRET,
        OPENAI_KEY,
        GRAPH_TOKEN,
        TURN_USER.credential,
        "wrong-turn-cred-1",
        "sk-wrong-openai-key-77",
        "EAAG-expired-token-0000",
        "functions-other-secret-42",
        DEFAULT_BUSINESS.displayPhoneNumber,
      ]
    ) assert.ok(!printed.includes(secret), `printed ${secret}`);
  } finally {
    await bridge.close(0);
    await graph.close();
    await openai.close();
    await coturn.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor CLI: --quick skips the remote checks and bounds STUN to about 1 s", async () => {
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (silent.addr as Deno.NetAddr).port;
  try {
    const started = performance.now();
    const run = await runDoctorCli({
      VOICE_BRIDGE_SECRET: TEST_BRIDGE_SECRET,
      STUN_SERVERS: `127.0.0.1:${port}`,
      STORE_PGLITE_DIR: "memory://",
      OPENAI_API_KEY: OPENAI_KEY,
    }, ["--quick"]);
    const ms = performance.now() - started;
    assert.equal(run.code, 1, run.stdout + run.stderr); // STUN got no answer
    assert.match(
      tableRow(run.stdout, "network", /UDP egress/),
      /^✘ .*timeout[^]*fix: outbound UDP is blocked/,
    );
    assert.match(tableRow(run.stdout, "openai", /Realtime/), /^– .*--quick/);
    assert.match(tableRow(run.stdout, "turn", /TURN/), /^– .*--quick/);
    assert.match(tableRow(run.stdout, "graph", /token/), /^– .*--quick/);
    // 1 s of STUN plus PGlite's start in a fresh process; the full run gives STUN 3 s.
    assert.ok(ms < 12_000, `took ${ms} ms`);
    assert.match(run.stdout, /no answer from 127\.0\.0\.1:\d+ \(127\.0\.0\.1\) in 1000 ms|timeout/);
  } finally {
    silent.close();
  }
});

Deno.test("doctor CLI: an invalid configuration fails its row and the rest still runs", async () => {
  const run = await runDoctorCli({
    STUN_SERVERS: "127.0.0.1:9",
    STORE_PGLITE_DIR: "memory://",
    RTP_PORT_MIN: "40010",
    RTP_PORT_MAX: "40000",
  }, ["--quick"]);
  assert.equal(run.code, 1);
  assert.match(tableRow(run.stdout, "config", /bridge configuration/), /^✘ .*VOICE_BRIDGE_SECRET/);
  assert.match(run.stdout, /RTP_PORT_MAX: must be above RTP_PORT_MIN|RTP_PORT_MAX/);
  assert.match(tableRow(run.stdout, "store", /database/), /^[✔✘]/);
});
