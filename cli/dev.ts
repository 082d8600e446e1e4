/**
 * `deno task dev`: the whole product on one machine with no keys and no
 * Docker. It runs both Edge Functions, the bridge, the operator console (its
 * one-time sign-in link printed on the line beginning `Console: `) and one embedded PGlite
 * database in a single process (PGlite allows one process per database), with
 * sandbox defaults for everything unset:
 *
 * - Meta: the app secret, verify token and Graph token are dev values, and
 *   `WHATSAPP_GRAPH_URL` points at `127.0.0.1:54330`, where `deno task call`
 *   runs its fake Meta. Set the real variables to take real calls.
 * - Agent: the echo agent, unless `OPENAI_API_KEY` is set.
 * - Internal secrets (function ↔ function, function ↔ bridge) are random per run.
 *
 * `deno task dev --quick` then prints `deno task doctor --quick`'s table once
 * the stack is up; a failed check is printed and the stack keeps running.
 *
 * @module
 */
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import { configSecrets, loadConfig, readTextFileIfExists } from "../bridge/config.ts";
import { configureLogging } from "../bridge/log.ts";
import { startBridge } from "../bridge/main.ts";
import { startDialerFromEnv } from "../bridge/dialer/start.ts";
import { startCallRecords } from "../bridge/post_call/call_records.ts";
import { generateWebhookSecret } from "../lib/webhooks/standard_webhooks.ts";
import { startWebhookReceiver } from "./webhook_receiver.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import { startFunctions } from "./functions.ts";
import { consoleLine, startConsoleFromEnv } from "../console/server/run.ts";
import { agentDefaultsFromConfig } from "../bridge/agent_settings/defaults.ts";
import { renderTable } from "../bridge/doctor/check.ts";
import { runDoctor } from "../bridge/doctor/run.ts";
import { storeSkipped } from "../bridge/doctor/store.ts";

/** Where `deno task call` serves its fake Meta Graph API by default. */
export const SANDBOX_GRAPH_PORT = 54330;

/**
 * Where dev leaves its service role key for `deno task call --outbound` (mode
 * 0600, under `.data/`); `DEV_SERVICE_ROLE_KEY_FILE` moves it (tests).
 */
export const DEV_SERVICE_ROLE_KEY_FILE = ".data/service_role_key";

/** Where the local receiver keeps each verified end-of-call webhook body (`DEV_WEBHOOK_DIR`). */
export const DEV_WEBHOOK_DIR = ".data/webhooks";

/** Sandbox values used where the environment sets none. */
export const DEV_DEFAULTS = {
  WHATSAPP_APP_SECRET: "dev-app-secret",
  WHATSAPP_VERIFY_TOKEN: "dev-verify-token",
  WHATSAPP_ACCESS_TOKEN: "dev-access-token",
  WHATSAPP_GRAPH_URL: `http://127.0.0.1:${SANDBOX_GRAPH_PORT}/v23.0`,
  FUNCTIONS_PORT: "54321",
  BRIDGE_HOST: "127.0.0.1",
  BRIDGE_PORT: "8080",
  ICE_INCLUDE_LOOPBACK: "true",
  ICE_ALLOW_PRIVATE_CANDIDATES: "true",
  DRAIN_TIMEOUT_S: "5",
  // A newcomer hears their first call back: `.data/recordings/<call>.ogg` (RECORDING=off to stop).
  RECORDING: "on",
} as const;

function randomSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** `vars` over the sandbox defaults, with fresh internal secrets where none are set. */
export function devEnv(vars: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = { ...DEV_DEFAULTS };
  for (const [k, v] of Object.entries(vars)) if (v !== undefined && v !== "") env[k] = v;
  env.VOICE_BRIDGE_SECRET ??= randomSecret();
  env.SUPABASE_SERVICE_ROLE_KEY ??= randomSecret();
  // Without a URL of their own, end-of-call webhooks go to the local receiver (startDev).
  if (env.CALL_WEBHOOK_URL === undefined) env.CALL_WEBHOOK_SECRET ??= generateWebhookSecret();
  return env;
}

/** Every secret of the dev stack, for the log redactor. */
export function devSecrets(env: Record<string, string>): string[] {
  const names = ["SUPABASE_SERVICE_ROLE_KEY", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"];
  return [
    ...configSecrets(loadConfig(env, readTextFileIfExists), env),
    ...names.flatMap((n) => env[n] ?? []),
  ];
}

/**
 * `--quick`: the doctor's quick checks (configuration, STUN within 1 s, RTP
 * ports, database, the bridge accepting the functions' secret) against the
 * running stack, as a table. PGlite is held by this process, so its row is skipped.
 */
export async function quickDoctorTable(
  env: Record<string, string>,
  bridgeUrl: string,
): Promise<string> {
  const server = env.DATABASE_URL || env.SUPABASE_DB_URL;
  const rows = await runDoctor({
    vars: { ...env, VOICE_BRIDGE_URL: bridgeUrl },
    quick: true,
    storeRow: server ? undefined : storeSkipped("PGlite: held by this dev stack, migrated at open"),
  });
  return renderTable(rows);
}

/** Starts everything; returns the URLs and a close function. */
export async function startDev(vars: Record<string, string | undefined>) {
  const env = devEnv(vars);
  const receiver = env.CALL_WEBHOOK_URL === undefined
    ? await startWebhookReceiver({
      secret: env.CALL_WEBHOOK_SECRET!,
      dir: env.DEV_WEBHOOK_DIR ?? DEV_WEBHOOK_DIR,
    })
    : undefined;
  if (receiver) env.CALL_WEBHOOK_URL = receiver.url;
  const config = loadConfig(env, readTextFileIfExists);
  const store = await openStore(storeConfigFromEnv((n) => env[n]));
  const records = await startCallRecords(config, store, env);
  const bridge = startBridge(config, store, {
    ...records.overrides,
    live: store,
    agentSettings: store,
  });
  const functions = startFunctions({ env: { ...env, VOICE_BRIDGE_URL: bridge.url }, store });
  // Campaigns and callbacks: on in dev unless DIALER=off.
  const dialer = startDialerFromEnv({
    ...env,
    DIALER: env.DIALER ?? "on",
    DIALER_FUNCTIONS_URL: `${functions.url}/functions/v1`,
  }, { store, hasCapacity: () => bridge.manager.refusal() === undefined });
  // The operator console over the same store (CONSOLE_PORT, default 8790, or any free port).
  // "Talk to your agent" calls this bridge, as the functions do.
  // "Call a customer" asks and calls through these functions, with the service role key.
  const consoleEnv: Record<string, string> = {
    ...env,
    VOICE_BRIDGE_URL: bridge.url,
    CONSOLE_FUNCTIONS_URL: `${functions.url}/functions/v1`,
  };
  const consoleServer = await startConsoleFromEnv(store, (n) => consoleEnv[n], {
    fallBackToFreePort: true,
    // The Agents page shows this bridge's own defaults (instructions read from a file included).
    deps: { agentDefaults: agentDefaultsFromConfig(config) },
  });
  return {
    /** The operator console; print `consoleLine(dev.console)` for its one-time sign-in link. */
    console: consoleServer,
    functionsUrl: `${functions.url}/functions/v1`,
    bridgeUrl: bridge.url,
    config,
    /** The local end-of-call webhook receiver, when `CALL_WEBHOOK_URL` was not set. */
    receiver,
    async close() {
      await consoleServer.close();
      if ("stop" in dialer) await dialer.stop();
      await functions.close();
      await bridge.close();
      await records.stop();
      await store.close();
      await receiver?.close();
    },
  };
}

if (import.meta.main) {
  const env = devEnv(Deno.env.toObject());
  await configureLogging(
    (env.LOG_LEVEL as "info" | undefined) ?? "info",
    (env.LOG_FORMAT as "json" | undefined) ?? (Deno.stdout.isTerminal() ? "pretty" : "json"),
    devSecrets(env),
  );
  const dev = await startDev(env);
  // `deno task call --outbound` reads it: the API of business-initiated calls wants this bearer.
  const keyFile = env.DEV_SERVICE_ROLE_KEY_FILE ?? DEV_SERVICE_ROLE_KEY_FILE;
  await Deno.mkdir(dirname(keyFile), { recursive: true });
  await Deno.writeTextFile(keyFile, env.SUPABASE_SERVICE_ROLE_KEY!, { mode: 0o600 });
  getLogger(["dev"]).info("DEV_STACK_READY", {
    webhook: `${dev.functionsUrl}/wa-webhook-core`,
    bridge: dev.bridgeUrl,
    agent: dev.config.agent,
    graph: dev.config.env.WHATSAPP_GRAPH_URL,
  });
  console.error(
    `\nReady. Meta webhook URL: ${dev.functionsUrl}/wa-webhook-core (agent: ${dev.config.agent})\n` +
      `Try a simulated WhatsApp call in another terminal:  deno task call\n`,
  );
  // Its own line, beginning `Console: `: one-time sign-in link on embedded defaults.
  console.error(`${await consoleLine(dev.console)}\n`);
  if (Deno.args.includes("--quick")) {
    // After start-up and never in its way: a failed check is printed, the stack keeps running.
    quickDoctorTable(env, dev.bridgeUrl).then(
      (table) => console.error(`deno task doctor --quick:\n${table}\n`),
      (error) => console.error(`doctor --quick failed: ${error}`),
    );
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await dev.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
