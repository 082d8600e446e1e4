/**
 * `deno task console`: the operator console alone, over the store the
 * environment names (`DATABASE_URL` or `SUPABASE_DB_URL`, else PGlite; PGlite
 * allows one process, so beside a running `deno task dev` use dev's console).
 * Prints `Console: …` with a one-time sign-in link on embedded defaults.
 *
 * @module
 */
import { configureLogging } from "../bridge/log.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import { consoleLine, startConsoleFromEnv } from "../console/server/run.ts";

/** Secrets of the console's environment, for the log redactor. */
export function consoleSecrets(get: (name: string) => string | undefined): string[] {
  return ["SUPABASE_JWT_SECRET", "SUPABASE_ANON_KEY", "DATABASE_URL", "SUPABASE_DB_URL"]
    .flatMap((name) => get(name) || []);
}

if (import.meta.main) {
  const get = (name: string) => Deno.env.get(name);
  const format = get("LOG_FORMAT") === "json" || !Deno.stdout.isTerminal() ? "json" : "pretty";
  await configureLogging(
    (get("LOG_LEVEL") as "info" | undefined) ?? "info",
    format,
    consoleSecrets(get),
  );
  const store = await openStore(storeConfigFromEnv(get));
  let running;
  try {
    running = await startConsoleFromEnv(store, get);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    await store.close();
    Deno.exit(2);
  }
  console.error(await consoleLine(running));
  const stop = async () => {
    await running.close();
    await store.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
