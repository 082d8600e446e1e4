/**
 * Starting the console from the environment, shared by `deno task console`,
 * `deno task dev` and the bridge's container (`CONSOLE_PORT`):
 * `CONSOLE_HOST` (default 127.0.0.1), `CONSOLE_PORT` (default 8790; 0 for any
 * free port) and the sign-in settings of `auth/console_auth.ts`.
 *
 * @module
 */
import { z } from "zod";
import type { Store } from "../../store/store.ts";
import type { ConsoleDeps } from "./context.ts";
import { consoleAuthFromEnv } from "./auth/console_auth.ts";
import { type ListenOptions, type RunningConsole, startConsole } from "./serve.ts";
import { talkFromEnv } from "../talk/test_calls.ts";
import { recordingsFromEnv } from "../pages/call_recording.ts";
import { outboundFromEnv } from "../outbound/functions_client.ts";

/** The console's port when `CONSOLE_PORT` is unset. */
export const DEFAULT_CONSOLE_PORT = 8790;

const listenEnv = z.object({
  CONSOLE_HOST: z.string().min(1).default("127.0.0.1"),
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_CONSOLE_PORT),
});

/** Where the environment asks the console to listen (empty values count as unset). */
export function consoleListenFromEnv(get: (name: string) => string | undefined): ListenOptions {
  const env = listenEnv.parse({
    CONSOLE_HOST: get("CONSOLE_HOST") || undefined,
    CONSOLE_PORT: get("CONSOLE_PORT") || undefined,
  });
  return { hostname: env.CONSOLE_HOST, port: env.CONSOLE_PORT };
}

/** Options of {@linkcode startConsoleFromEnv}. */
export interface StartFromEnvOptions {
  /** Services beyond the store for the pages (fields other modules add to ConsoleDeps). */
  deps?: Partial<Omit<ConsoleDeps, "store">>;
  /**
   * With `CONSOLE_PORT` unset and the default port taken, listen on any free
   * port instead of failing (dev stacks side by side, e.g. in tests).
   */
  fallBackToFreePort?: boolean;
}

/** Starts the console over `store` as the environment `get` reads describes. */
export async function startConsoleFromEnv(
  store: Store,
  get: (name: string) => string | undefined,
  options: StartFromEnvOptions = {},
): Promise<RunningConsole> {
  const auth = await consoleAuthFromEnv(get);
  const listen = consoleListenFromEnv(get);
  // "Talk to your agent" reaches the bridge as the Edge Function does (VOICE_BRIDGE_URL/_SECRET).
  const talk = talkFromEnv(store, {
    VOICE_BRIDGE_URL: get("VOICE_BRIDGE_URL"),
    VOICE_BRIDGE_SECRET: get("VOICE_BRIDGE_SECRET"),
  });
  // The Call page's player reads the recordings where the bridge keeps them (RECORDINGS_*).
  const recordings = recordingsFromEnv(store, get);
  // "Call a customer" sends through the Edge Functions (CONSOLE_FUNCTIONS_URL + service role key).
  const outbound = outboundFromEnv(get);
  const deps: ConsoleDeps = {
    now: () => new Date(),
    talk,
    recordings,
    outbound,
    ...options.deps,
    store,
  };
  try {
    return startConsole(deps, auth, listen);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.AddrInUse) || !options.fallBackToFreePort ||
      get("CONSOLE_PORT")
    ) {
      throw error;
    }
    return startConsole(deps, auth, { ...listen, port: 0 });
  }
}

/**
 * The line to print for people: `Console: <one-time sign-in link>` on the
 * embedded console, `Console: <url>/signin` with Supabase Auth.
 */
export async function consoleLine(running: RunningConsole): Promise<string> {
  const link = await running.signInLink();
  return `Console: ${link ?? `${running.auth.publicOrigin ?? running.url}/signin`}`;
}
