/**
 * Serving the console over HTTP: `deno task console`, `deno task dev`, the
 * bridge's container (`CONSOLE_PORT`) and the tests all start it here.
 *
 * @module
 */
import type { ConsoleDeps } from "./context.ts";
import type { ConsoleAuth } from "./auth/console_auth.ts";
import { createConsoleApp } from "./app.ts";
import { consoleLogger } from "./log.ts";
import { LiveHub } from "./live_hub.ts";

/** A running console. */
export interface RunningConsole {
  /** `http://host:port`, with `127.0.0.1` for a wildcard host. */
  url: string;
  auth: ConsoleAuth;
  /**
   * The one-time sign-in link to print (embedded mode), or `undefined` with
   * Supabase Auth. Each call issues a new link.
   */
  signInLink(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Where to listen. */
export interface ListenOptions {
  hostname: string;
  /** 0 for any free port. */
  port: number;
}

/** Serves the console for `deps` and `auth` on `listen`. */
export function startConsole(
  deps: ConsoleDeps,
  auth: ConsoleAuth,
  listen: ListenOptions,
): RunningConsole {
  // One LISTEN per console process, opened by the first Live page viewer.
  const live = deps.live ?? new LiveHub({ store: deps.store });
  const app = createConsoleApp({ ...deps, live, auth });
  const server = Deno.serve({ ...listen, onListen: () => {} }, app.fetch);
  const host = listen.hostname === "0.0.0.0" || listen.hostname === "::"
    ? "127.0.0.1"
    : listen.hostname;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.addr.port}`;
  consoleLogger().info("CONSOLE_LISTENING", { url, auth: auth.embedded ? "embedded" : "supabase" });
  return {
    url,
    auth,
    async signInLink() {
      if (!auth.embedded) return undefined;
      const base = auth.publicOrigin ?? url;
      return `${base}/signin/link?token=${await auth.embedded.links.issue()}`;
    },
    // Live streams never end by themselves: closed first, or the shutdown would wait for them.
    close: async () => {
      await live.close();
      await server.shutdown();
    },
  };
}
