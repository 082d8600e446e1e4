import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { consoleAuthFromEnv } from "./auth/console_auth.ts";
import {
  consoleLine,
  consoleListenFromEnv,
  DEFAULT_CONSOLE_PORT,
  startConsoleFromEnv,
} from "./run.ts";

const from = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("console env: host and port defaults, empty values unset, bad port refused", () => {
  assert.deepEqual(consoleListenFromEnv(from({})), { hostname: "127.0.0.1", port: 8790 });
  assert.deepEqual(consoleListenFromEnv(from({ CONSOLE_HOST: "", CONSOLE_PORT: "" })), {
    hostname: "127.0.0.1",
    port: DEFAULT_CONSOLE_PORT,
  });
  assert.deepEqual(consoleListenFromEnv(from({ CONSOLE_HOST: "0.0.0.0", CONSOLE_PORT: "0" })), {
    hostname: "0.0.0.0",
    port: 0,
  });
  assert.throws(() => consoleListenFromEnv(from({ CONSOLE_PORT: "70000" })));
  assert.throws(() => consoleListenFromEnv(from({ CONSOLE_PORT: "web" })));
});

Deno.test("console env: Supabase Auth with SUPABASE_URL, embedded links without", async () => {
  const embedded = await consoleAuthFromEnv(from({}));
  assert.ok(embedded.embedded);
  assert.equal(embedded.passwordSignIn, undefined);
  const supabase = await consoleAuthFromEnv(from({
    SUPABASE_URL: "https://abc.supabase.co",
    SUPABASE_ANON_KEY: "anon",
    CONSOLE_PUBLIC_URL: "https://console.example.com/some/path",
  }));
  assert.equal(supabase.embedded, undefined);
  assert.ok(supabase.passwordSignIn && supabase.refreshSession);
  assert.equal(supabase.publicOrigin, "https://console.example.com");
  const noAnon = await consoleAuthFromEnv(from({ SUPABASE_URL: "https://abc.supabase.co" }));
  assert.equal(noAnon.passwordSignIn, undefined, "no anon key: no password form");
  const forced = await consoleAuthFromEnv(from({
    SUPABASE_URL: "https://abc.supabase.co",
    CONSOLE_AUTH: "embedded",
  }));
  assert.ok(forced.embedded);
  await assert.rejects(
    () => consoleAuthFromEnv(from({ CONSOLE_AUTH: "supabase" })),
    /SUPABASE_URL/,
  );
  await assert.rejects(() => consoleAuthFromEnv(from({ SUPABASE_URL: "not a url" })));
});

Deno.test({
  name: "console start: the Console line, and a free port when the default one is taken",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const store = await openStore({ pgliteDir: "memory://" });
    let blocker: Deno.HttpServer | undefined;
    try {
      blocker = Deno.serve(
        { hostname: "127.0.0.1", port: DEFAULT_CONSOLE_PORT, onListen: () => {} },
        () => new Response("someone else"),
      );
    } catch {
      // Already taken by another process: just as good for this test.
    }
    try {
      await assert.rejects(
        () => startConsoleFromEnv(store, from({})),
        Deno.errors.AddrInUse,
        "without the fallback the taken port is an error",
      );
      const running = await startConsoleFromEnv(store, from({}), { fallBackToFreePort: true });
      try {
        assert.notEqual(new URL(running.url).port, String(DEFAULT_CONSOLE_PORT));
        const line = await consoleLine(running);
        assert.match(
          line,
          /^Console: http:\/\/127\.0\.0\.1:\d+\/signin\/link\?token=[0-9a-f]{64}$/,
        );
        const res = await fetch(line.slice("Console: ".length), { redirect: "manual" });
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/live");
        await res.body?.cancel();
      } finally {
        await running.close();
      }
      await assert.rejects(
        () =>
          startConsoleFromEnv(store, from({ CONSOLE_PORT: String(DEFAULT_CONSOLE_PORT) }), {
            fallBackToFreePort: true,
          }),
        Deno.errors.AddrInUse,
        "an explicit CONSOLE_PORT never falls back",
      );
      const supabase = await startConsoleFromEnv(
        store,
        from({ CONSOLE_PORT: "0", SUPABASE_URL: "https://abc.supabase.co" }),
      );
      assert.equal(await consoleLine(supabase), `Console: ${supabase.url}/signin`);
      await supabase.close();
    } finally {
      await blocker?.shutdown();
      await store.close();
    }
  },
});
