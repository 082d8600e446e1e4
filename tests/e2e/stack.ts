/**
 * The whole product as a real process for end-to-end tests: `cli/dev.ts`
 * (both Edge Functions, the bridge and the store in one process) spawned with
 * free ports, a {@linkcode RecordingGraph} standing in for Meta's Graph API,
 * and a database the test reads back.
 *
 * The database is a fresh one on a real PostgreSQL server when
 * `tests/support/postgres.ts` can provide one (readable while the stack runs),
 * else a PGlite directory, which allows one process at a time, so it is read
 * only after the stack has stopped.
 *
 * ```ts
 * const stack = await startStack({ env: { MAX_SESSIONS: "1" } });
 * try {
 *   const call = await stack.call({ speech, listenMs: 2000 });
 *   const { call: row } = await stack.records(call.callId, (r) => r.call?.status === "completed");
 * } finally {
 *   await stack.close();
 * }
 * ```
 *
 * @module
 */
import { type CallEvent, type CallRecord, type Store, type Transcript } from "../../store/store.ts";
import { openStore } from "../../store/open.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { postWebhook, type SignedWebhook } from "../../simulator/meta_webhooks.ts";
import {
  placeSimulatedCall,
  type SimulatedCallOptions,
  type SimulatedCallResult,
} from "../../simulator/simulated_call.ts";
import { type PostgresServer, startPostgres, type TestDatabase } from "../support/postgres.ts";
import { freePort } from "../support/net.ts";

/** The Meta app secret the stack verifies webhook signatures with. */
export const E2E_APP_SECRET = "e2e-app-secret";
/** The Graph token the stack presents and the fake Graph demands. */
export const E2E_ACCESS_TOKEN = "e2e-access-token";

const DEV_SCRIPT = new URL("../../cli/dev.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** Variables the stack reads: never inherited from the test's environment. */
const STACK_VARIABLE =
  /^(DATABASE_URL|SUPABASE_\w+|STORE_\w+|OPENAI_\w+|AGENT(_\w+)?|WHATSAPP_\w+|WA_\w+|VOICE_BRIDGE_\w+|BRIDGE_\w+|FUNCTIONS_PORT|MAX_\w+|LOG_\w+|DRAIN_TIMEOUT_S|ICE_\w+|PUBLIC_IP|RTP_PORT_\w+|MEDIA_CONNECT_TIMEOUT_MS|CALLER_SILENCE_TIMEOUT_S|STUN_SERVERS|RECORDINGS?(_\w+)?|CALL_WEBHOOK_\w+|PRICING|META_CALL_PRICING|ANALYSIS_\w+|DEV_\w+)$/;

/** A webhook the fake Meta sent, with when (performance.now) it was sent. */
export interface SentWebhook {
  at: number;
  webhook: SignedWebhook;
}

/** A {@linkcode FakeMetaGraph} that also keeps every webhook posted through it. */
export class RecordingGraph extends FakeMetaGraph {
  /** Webhooks in the order they were posted. */
  readonly webhooks: SentWebhook[] = [];

  /** Records the webhook, then lets the fake track the call as usual. */
  override observeWebhook(webhook: SignedWebhook): void {
    this.webhooks.push({ at: performance.now(), webhook });
    super.observeWebhook(webhook);
  }
}

/** Everything stored about one call. */
export interface CallRecords {
  call: CallRecord | null;
  events: CallEvent[];
  transcripts: Transcript[];
}

/** Options of {@linkcode startStack}. */
export interface StackOptions {
  /** Extra variables for the stack, e.g. `OPENAI_API_KEY`, `MAX_SESSIONS`. */
  env?: Record<string, string>;
  /** `auto`: PostgreSQL when available, else PGlite. @default "auto" */
  database?: "auto" | "postgres" | "pglite";
  /** Bound on the process becoming ready. @default 60000 (a fresh PGlite takes ~15 s here) */
  readyTimeoutMs?: number;
}

/** A running stack and its fakes. */
export interface Stack {
  /** The core webhook function, Meta's callback URL. */
  readonly webhookUrl: string;
  readonly bridgeUrl: string;
  /** The fake Graph API the stack talks to. */
  readonly graph: RecordingGraph;
  /** Which database holds the records. */
  readonly backend: "postgres" | "pglite";
  /**
   * The stack's own files, removed on close: recordings in `recordings/`, and
   * the end-of-call webhooks dev's local receiver verified, in `webhooks/`.
   */
  readonly dataDir: string;
  /** Places a simulated WhatsApp call against this stack. */
  call(options?: Omit<SimulatedCallOptions, "webhookUrl" | "appSecret" | "graph">): Promise<
    SimulatedCallResult
  >;
  /**
   * A call's records. Over PostgreSQL, polls until `ready` holds (or
   * `timeoutMs` passes; the last read is returned). Over PGlite, stops the
   * stack first: its records are final then, so `ready` is not needed.
   */
  records(
    callId: string,
    ready?: (r: CallRecords) => boolean,
    timeoutMs?: number,
  ): Promise<CallRecords>;
  /** Everything the process printed so far (JSON log lines and the banner). */
  output(): string;
  /** SIGTERM (the stack drains and closes its store) and waits for the exit; idempotent. */
  stop(): Promise<Deno.CommandStatus>;
  /** Stops the process and releases the fakes and the database; idempotent. */
  close(): Promise<void>;
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) if (!STACK_VARIABLE.test(k)) env[k] = v;
  return { ...env, ...extra };
}

async function drain(stream: ReadableStream<Uint8Array>, sink: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const bytes of stream) sink.push(decoder.decode(bytes, { stream: true }));
}

/** True when `url` answers a GET with a status `accepted` allows. */
async function answers(url: string, accepted: (status: number) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return accepted(res.status);
  } catch {
    return false;
  }
}

/** Where the stack's records live and how the test reads them. */
interface Database {
  backend: "postgres" | "pglite";
  env: Record<string, string>;
  /** Opens a reading store (called when it is safe to). */
  open(): Promise<Store>;
  release(): Promise<void>;
}

async function createDatabase(kind: StackOptions["database"]): Promise<Database> {
  let server: PostgresServer | null = null;
  if (kind !== "pglite") {
    server = await startPostgres();
    if (server === null && kind === "postgres") throw new Error("no PostgreSQL server available");
  }
  if (server !== null) {
    let db: TestDatabase;
    try {
      db = await server.createDatabase();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return {
      backend: "postgres",
      env: { DATABASE_URL: db.url, STORE_MIGRATE: "true" },
      open: () => openStore({ url: db.url, maxConnections: 2 }),
      async release() {
        try {
          await db.drop();
        } finally {
          await server.stop();
        }
      },
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "e2e_pglite_" });
  return {
    backend: "pglite",
    env: { STORE_PGLITE_DIR: dir },
    open: () => openStore({ pgliteDir: dir }),
    release: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Spawns `deno run -A cli/dev.ts` against a new fake Graph and database and
 * resolves once both the bridge (`/healthz`) and the functions answer.
 * Throws with the process output if it exits or is not ready in time.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const functionsPort = freePort();
  const bridgePort = freePort();
  const functionsUrl = `http://127.0.0.1:${functionsPort}/functions/v1`;
  const bridgeUrl = `http://127.0.0.1:${bridgePort}`;
  const webhookUrl = `${functionsUrl}/wa-webhook-core`;
  const graph: RecordingGraph = new RecordingGraph({
    accessToken: E2E_ACCESS_TOKEN,
    // Meta's own webhooks (a terminate after our reject, a ring-out) reach the stack too.
    webhooks: {
      appSecret: E2E_APP_SECRET,
      send: (w) => postWebhook(webhookUrl, w, { observer: graph }),
    },
  });
  const graphServer = await graph.start(0);
  let database: Database;
  try {
    database = await createDatabase(options.database ?? "auto");
  } catch (error) {
    await graphServer.close();
    throw error;
  }
  const dataDir = await Deno.makeTempDir({ prefix: "e2e_data_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", DEV_SCRIPT],
    cwd: REPO_ROOT,
    clearEnv: true,
    env: childEnv({
      FUNCTIONS_PORT: String(functionsPort),
      BRIDGE_PORT: String(bridgePort),
      WHATSAPP_GRAPH_URL: graphServer.url,
      WHATSAPP_APP_SECRET: E2E_APP_SECRET,
      WHATSAPP_ACCESS_TOKEN: E2E_ACCESS_TOKEN,
      LOG_LEVEL: "warning",
      LOG_FORMAT: "json",
      // Tests hang up every call; a drain only waits for sessions still ending.
      DRAIN_TIMEOUT_S: "3",
      RECORDINGS_DIR: `${dataDir}/recordings`,
      DEV_WEBHOOK_DIR: `${dataDir}/webhooks`,
      // Never the developer's own `.data/service_role_key` (cli/dev.ts).
      DEV_SERVICE_ROLE_KEY_FILE: `${dataDir}/service_role_key`,
      ...database.env,
      ...options.env,
    }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  const readers = Promise.all([drain(child.stdout, chunks), drain(child.stderr, chunks)]);
  let exit: Deno.CommandStatus | undefined;
  const exited = child.status.then((s) => (exit = s));
  let reader: Promise<Store> | undefined;
  let stopping: Promise<Deno.CommandStatus> | undefined;
  let closing: Promise<void> | undefined;

  const stop = (): Promise<Deno.CommandStatus> =>
    stopping ??= (async () => {
      if (exit === undefined) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(killer);
      }
      await readers;
      return exit!;
    })();

  const close = (): Promise<void> =>
    closing ??= (async () => {
      try {
        await stop();
      } finally {
        const store = await reader?.catch(() => undefined);
        await store?.close();
        await graphServer.close();
        await database.release();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    })();

  const store = (): Promise<Store> => reader ??= database.open();

  const read = async (s: Store, callId: string): Promise<CallRecords> => ({
    call: await s.getCall(callId),
    events: await s.listEvents(callId),
    transcripts: await s.listTranscripts(callId),
  });

  const stack: Stack = {
    webhookUrl,
    bridgeUrl,
    graph,
    backend: database.backend,
    dataDir,
    call: (opts = {}) =>
      placeSimulatedCall({
        ...opts,
        webhookUrl: stack.webhookUrl,
        appSecret: E2E_APP_SECRET,
        graph,
      }),
    async records(callId, ready = () => true, timeoutMs = 10_000) {
      if (database.backend === "pglite") {
        await stop();
        return await read(await store(), callId);
      }
      const s = await store();
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const r = await read(s, callId);
        if (ready(r) || performance.now() > deadline) return r;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    output: () => chunks.join(""),
    stop,
    close,
  };

  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exit !== undefined) throw new Error(`the stack exited with ${exit.code} while starting`);
      if (performance.now() > deadline) throw new Error("the stack did not become ready in time");
      const [bridge, functions] = await Promise.all([
        answers(`${bridgeUrl}/healthz`, (status) => status === 200),
        // Meta's subscription check without its parameters: refused, but served.
        answers(stack.webhookUrl, (status) => status < 500),
      ]);
      if (bridge && functions) return stack;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}; its output:\n${stack.output()}`);
  }
}

/** What `deno task call` printed and how it exited. */
export interface CallCliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli/call.ts` as a user would against `stack`, its fake Graph API on
 * `graphPort`, with `args` after the stack's own flags.
 */
export async function runCallCli(
  stack: Stack,
  graphPort: number,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CallCliRun> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/call.ts", import.meta.url).pathname,
      "--functions-url",
      stack.webhookUrl.replace(/\/wa-webhook-core$/, ""),
      "--app-secret",
      E2E_APP_SECRET,
      "--access-token",
      E2E_ACCESS_TOKEN,
      "--graph-port",
      String(graphPort),
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: run.code, stdout: text.decode(run.stdout), stderr: text.decode(run.stderr) };
}
