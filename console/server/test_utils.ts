/**
 * Test helpers: a real console on `127.0.0.1:0` over a given store, signing in
 * through a local fake of Supabase Auth (its JWKS over HTTP and the password
 * grant), with tokens minted for any role the way Supabase Auth mints them.
 *
 * ```ts
 * const console = await startTestConsole({ store });
 * const res = await console.fetch("/calls", { role: "viewer" });
 * await console.close();
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { ConsoleDeps, Role } from "./context.ts";
import type { Store } from "../../store/store.ts";
import {
  type ConsoleAuth,
  EMBEDDED_ISSUER,
  embeddedAuth,
  supabaseAuth,
} from "./auth/console_auth.ts";
import {
  generateSigningKey,
  mintAccessToken,
  type SigningKey,
  type TokenClaims,
} from "./auth/mint.ts";
import { SESSION_COOKIE, sessionCsrfToken } from "./auth/session.ts";
import { type RunningConsole, startConsole } from "./serve.ts";

/** The fake Supabase project's anon key. */
export const TEST_ANON_KEY = "test-anon-key";

/** A test user's email and password for `role` at the fake Supabase Auth. */
export function testUser(role: Role | "none"): { email: string; password: string } {
  return { email: `${role}@console.test`, password: `password-${role}` };
}

/** A console under test. */
export interface TestConsole {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The fake Supabase project's URL (`/auth/v1/...`); `undefined` in embedded mode. */
  supabaseUrl: string | undefined;
  running: RunningConsole;
  key: SigningKey;
  /** A valid access token of a user with `role` (`none`: no console role); `claims` override. */
  tokenFor(role: Role | "none" | string, claims?: Partial<TokenClaims>): Promise<string>;
  /** A `Cookie` header value signing in as `role`. */
  cookieFor(role: Role | "none" | string): Promise<string>;
  /** The CSRF token of the session `cookieFor(role)` opens (same token, same CSRF). */
  csrfFor(role: Role | "none" | string): Promise<string>;
  /**
   * `fetch(url + path)` signed in as `role` (none: anonymous). Non-GET requests
   * carry the CSRF header and this origin unless `init.headers` set them.
   */
  fetch(path: string, init?: RequestInit & { role?: Role | "none" }): Promise<Response>;
  close(): Promise<void>;
}

/** Options of {@linkcode startTestConsole}. */
export interface TestConsoleOptions {
  store: Store;
  now?: () => Date;
  /** More services for the pages (fields other helpers add to ConsoleDeps). */
  deps?: Partial<Omit<ConsoleDeps, "store">>;
  /** Embedded mode (one-time links) instead of the fake Supabase Auth. */
  embedded?: boolean;
}

const grantBody = z.object({
  email: z.string().optional(),
  password: z.string().optional(),
  refresh_token: z.string().optional(),
});

/**
 * Serves the fake Supabase Auth for `key`: the JWKS, the password grant (the
 * users of {@linkcode testUser}) and the refresh grant (rotating, single-use).
 */
export function startFakeSupabaseAuth(key: SigningKey): { url: string; close(): Promise<void> } {
  let issuer = "";
  const sessions = new Map<string, { role: string; email: string; sessionId: string }>();
  const issue = async (who: { role: string; email: string; sessionId: string }) => {
    const refresh_token = crypto.randomUUID();
    sessions.set(refresh_token, who);
    const access_token = await mintAccessToken(key, {
      issuer,
      sub: `user-${who.role}`,
      email: who.email,
      role: who.role === "none" ? undefined : who.role,
      expiresInS: 3600,
      sessionId: who.sessionId,
    });
    return Response.json({ access_token, refresh_token, token_type: "bearer", expires_in: 3600 });
  };
  const invalid = (description: string) =>
    Response.json({ error: "invalid_grant", error_description: description }, { status: 400 });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/auth/v1/.well-known/jwks.json") return Response.json(key.jwks);
    const grant = url.searchParams.get("grant_type");
    if (url.pathname !== "/auth/v1/token" || (grant !== "password" && grant !== "refresh_token")) {
      return new Response("not found", { status: 404 });
    }
    if (req.headers.get("apikey") !== TEST_ANON_KEY) {
      return Response.json({ message: "Invalid API key" }, { status: 401 });
    }
    const body = grantBody.parse(await req.json());
    if (grant === "refresh_token") {
      const who = sessions.get(body.refresh_token ?? "");
      sessions.delete(body.refresh_token ?? "");
      return who ? await issue(who) : invalid("Invalid Refresh Token: Refresh Token Not Found");
    }
    const role = (body.email ?? "").replace(/@console\.test$/, "");
    if (body.password !== `password-${role}`) return invalid("Invalid login credentials");
    return await issue({ role, email: body.email!, sessionId: crypto.randomUUID() });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  issuer = `${url}/auth/v1`;
  return { url, close: () => server.shutdown() };
}

/** Starts a console over `options.store` and the auth it signs in with. */
export async function startTestConsole(options: TestConsoleOptions): Promise<TestConsole> {
  const now = options.now ?? (() => new Date());
  let auth: ConsoleAuth;
  let key: SigningKey;
  let issuer: string;
  let fake: ReturnType<typeof startFakeSupabaseAuth> | undefined;
  if (options.embedded) {
    // Sessions follow the real clock, whatever clock the pages are given.
    const embedded = await embeddedAuth();
    auth = embedded;
    key = embedded.embedded.key;
    issuer = EMBEDDED_ISSUER;
  } else {
    key = await generateSigningKey();
    fake = startFakeSupabaseAuth(key);
    auth = supabaseAuth({ supabaseUrl: fake.url, anonKey: TEST_ANON_KEY });
    issuer = `${fake.url}/auth/v1`;
  }
  const deps: ConsoleDeps = { now, ...options.deps, store: options.store };
  const running = startConsole(deps, auth, { hostname: "127.0.0.1", port: 0 });
  const tokenFor = (role: string, claims: Partial<TokenClaims> = {}) =>
    mintAccessToken(key, {
      issuer,
      sub: `user-${role}`,
      email: `${role}@console.test`,
      role: role === "none" ? undefined : role,
      expiresInS: 3600,
      now: new Date(),
      ...claims,
    });
  const tokens = new Map<string, Promise<string>>();
  const sessionToken = (role: string) => {
    if (!tokens.has(role)) tokens.set(role, tokenFor(role));
    return tokens.get(role)!;
  };
  return {
    url: running.url,
    supabaseUrl: fake?.url,
    running,
    key,
    tokenFor,
    cookieFor: async (role) => `${SESSION_COOKIE}=${await sessionToken(role)}`,
    csrfFor: async (role) => sessionCsrfToken(await sessionToken(role)),
    async fetch(path, init = {}) {
      const { role, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (role !== undefined && role !== "none") {
        headers.set("cookie", `${SESSION_COOKIE}=${await sessionToken(role)}`);
        const method = (rest.method ?? "GET").toUpperCase();
        if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
          if (!headers.has("x-csrf-token")) {
            headers.set("x-csrf-token", await sessionCsrfToken(await sessionToken(role)));
          }
          if (!headers.has("origin")) headers.set("origin", running.url);
        }
      }
      return await fetch(`${running.url}${path}`, {
        ...rest,
        headers,
        redirect: rest.redirect ?? "manual",
      });
    },
    async close() {
      await running.close();
      await fake?.close();
    },
  };
}
