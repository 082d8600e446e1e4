/**
 * Serves both WhatsApp Edge Functions locally at
 * `http://localhost:<port>/functions/v1/<name>`, the layout `supabase functions
 * serve` uses, so `supabase.functions.invoke` works unchanged against it.
 *
 * ```sh
 * deno run -A cli/functions.ts   # FUNCTIONS_PORT, default 54321
 * ```
 *
 * @module
 */

import { createCoreHandler } from "../supabase/functions/wa-webhook-core/index.ts";
import { createVoiceCallsHandler } from "../supabase/functions/wa-webhook-voice-calls/index.ts";
import { createCallPermissionsHandler } from "../supabase/functions/wa-call-permissions/index.ts";
import { createOutboundCallsHandler } from "../supabase/functions/wa-outbound-calls/index.ts";
import { createCampaignsHandler } from "../supabase/functions/wa-campaigns/index.ts";
import { z } from "zod";
import { storeOpener } from "../store/open.ts";
import type { Store } from "../store/store.ts";

/** Raw variables, as `Deno.env.toObject()` returns them. */
export type RawEnv = Readonly<Record<string, string | undefined>>;

/** Port of `supabase functions serve`. */
export const DEFAULT_FUNCTIONS_PORT = 54321;

const portSchema = z.coerce.number().int().min(0).max(65535);

/** `FUNCTIONS_PORT`, or the default when unset or blank; throws naming the variable otherwise. */
export function functionsPort(env: RawEnv): number {
  const raw = env.FUNCTIONS_PORT?.trim() ?? "";
  if (raw === "") return DEFAULT_FUNCTIONS_PORT;
  const port = portSchema.safeParse(raw);
  if (!port.success) throw new RangeError("FUNCTIONS_PORT must be a port number (0-65535)");
  return port.data;
}

/** Options of {@link startFunctions}. */
export interface StartFunctionsOptions {
  /** Default `FUNCTIONS_PORT` from `env`, else 54321; 0 picks a free port. */
  port?: number;
  /**
   * Variables the functions read (see the README). As `supabase functions
   * serve` does, a local `SUPABASE_SERVICE_ROLE_KEY` is made up when none is set.
   */
  env: RawEnv;
  /** Shared store (e.g. the dev runner's PGlite); default the one `env` names, closed on `close()`. */
  store?: Store;
  /** Interface to bind. Default `127.0.0.1`. */
  hostname?: string;
}

/** A running functions server. */
export interface FunctionsServer {
  /** e.g. `http://127.0.0.1:54321`; functions live under `/functions/v1/`. */
  url: string;
  /** Stops accepting requests, waits for background routing, closes a store it opened. */
  close(): Promise<void>;
}

const PREFIX = "/functions/v1/";

type Handler = (req: Request) => Promise<Response>;

function dispatch(functions: ReadonlyMap<string, Handler>, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  const name = path.startsWith(PREFIX) ? path.slice(PREFIX.length).split("/")[0]! : "";
  const fn = functions.get(name);
  return fn
    ? fn(req)
    : Promise.resolve(Response.json({ error: "no such function" }, { status: 404 }));
}

/**
 * Starts the local functions server; it is listening when this returns.
 * Without `SUPABASE_URL` in `env` the core invokes voice-calls on this server.
 */
export function startFunctions(opts: StartFunctionsOptions): FunctionsServer {
  const hostname = opts.hostname ?? "127.0.0.1";
  const port = opts.port ?? functionsPort(opts.env);
  const shared = opts.store;
  const fromEnv = storeOpener((name) => opts.env[name]);
  let opened: Promise<Store> | undefined;
  const openStore = shared === undefined
    ? () => (opened = fromEnv())
    : () => Promise.resolve(shared);

  // Filled once the port is bound (the core's default SUPABASE_URL needs it),
  // before the first request can be dispatched.
  const functions = new Map<string, Handler>();
  const server = Deno.serve(
    { hostname, port, onListen: () => {} },
    (req) => dispatch(functions, req),
  );
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${server.addr.port}`;

  // The key only travels between the two functions on this server, so a fresh
  // random one is as good as the CLI's well-known local key, and never leaks.
  const env: RawEnv = {
    SUPABASE_URL: url,
    SUPABASE_SERVICE_ROLE_KEY: crypto.randomUUID(),
    ...definedOnly(opts.env),
  };
  const core = createCoreHandler({ env, store: openStore });
  functions.set("wa-webhook-core", core);
  functions.set("wa-webhook-voice-calls", createVoiceCallsHandler({ env, store: openStore }));
  functions.set("wa-call-permissions", createCallPermissionsHandler({ env, store: openStore }));
  functions.set("wa-outbound-calls", createOutboundCallsHandler({ env, store: openStore }));
  functions.set("wa-campaigns", createCampaignsHandler({ env, store: openStore }));

  return {
    url,
    async close() {
      // The core's routing calls voice-calls on this very server: let it finish first.
      await core.settled();
      await server.shutdown();
      await core.settled();
      if (opened !== undefined) await (await opened).close();
    },
  };
}

/** Drops unset and empty variables so they do not shadow defaults. */
function definedOnly(env: RawEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
  );
}

if (import.meta.main) {
  const { configureLogging } = await import("../bridge/log.ts");
  await configureLogging("info", Deno.stdout.isTerminal() ? "pretty" : "json");
  const server = startFunctions({ env: Deno.env.toObject() });
  console.log(
    `functions at ${server.url}${PREFIX}{wa-webhook-core,wa-webhook-voice-calls,wa-call-permissions,wa-outbound-calls,wa-campaigns}`,
  );
  const stop = async () => {
    await server.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
