/**
 * Test helpers of the console's app and sign-in tests: the whole app over a
 * shared in-memory store, Supabase-shaped tokens from a local key, a fake
 * password and refresh grant, and test-only routes behind each role.
 *
 * @module
 */
import { openStore } from "../../../store/open.ts";
import type { Store } from "../../../store/store.ts";
import { createConsoleApp } from "../app.ts";
import type { ConsoleAuth } from "./console_auth.ts";
import { generateSigningKey, mintAccessToken, type SigningKey } from "./mint.ts";
import { createTokenVerifier } from "./verifier.ts";
import { requireRole } from "../context.ts";

/** The origin requests are made from. */
export const ORIGIN = "http://console.test";
/** The fake project's issuer. */
export const ISSUER = "https://project.supabase.co/auth/v1";
/** Every fake user's password. */
export const PASSWORD = "correct horse";

/** A console app under test. */
export interface Harness {
  app: ReturnType<typeof createConsoleApp>;
  key: SigningKey;
  token(role: string | undefined, expiresInS?: number, sessionId?: string): Promise<string>;
  req(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
}

let store: Store | undefined;
async function sharedStore(): Promise<Store> {
  return store ??= await openStore({ pgliteDir: "memory://" });
}

/**
 * The app with `auth` (default: the fake Supabase of this module), with
 * `/__gate/<role>` routes (GET and POST) and `/__boom` (throws).
 */
export async function harness(auth?: ConsoleAuth, publicOrigin?: string): Promise<Harness> {
  const key = await generateSigningKey();
  const token = (role: string | undefined, expiresInS = 3600, sessionId?: string) =>
    mintAccessToken(key, {
      issuer: ISSUER,
      sub: `u-${role}`,
      email: `${role}@x.test`,
      role,
      expiresInS,
      ...(sessionId ? { sessionId } : {}),
    });
  // The fake Supabase's refresh tokens: each is used once and names its session (Supabase rotates them).
  const refreshTokens = new Map([["refresh-1", "session-1"]]);
  const chosen: ConsoleAuth = auth ?? {
    verifier: createTokenVerifier({ issuer: ISSUER, jwks: key.jwks }),
    passwordSignIn: async (email, password) => {
      const role = email.split("@")[0];
      if (password !== PASSWORD) {
        return { ok: false, status: 400, message: "Invalid login credentials" };
      }
      return { ok: true, accessToken: await token(role === "none" ? undefined : role) };
    },
    refreshSession: async (refreshToken) => {
      const sessionId = refreshTokens.get(refreshToken);
      refreshTokens.delete(refreshToken);
      if (sessionId === undefined) {
        return { ok: false, status: 400, message: "Invalid Refresh Token" };
      }
      refreshTokens.set("refresh-2", sessionId);
      return {
        ok: true,
        accessToken: await token("operator", 3600, sessionId),
        refreshToken: "refresh-2",
      };
    },
    publicOrigin,
  };
  const app = createConsoleApp({ store: await sharedStore(), now: () => new Date(), auth: chosen });
  for (const role of ["viewer", "operator", "admin"] as const) {
    app.get(`/__gate/${role}`, requireRole(role), (c) => c.text(`ok ${c.get("user").role}`));
    app.post(`/__gate/${role}`, requireRole(role), (c) => c.text("changed"));
  }
  app.get("/__boom", () => {
    throw new Error("boom");
  });
  return {
    app,
    key,
    token,
    req: async (path, init = {}) => {
      const { token: t, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (t !== undefined) headers.set("cookie", `console_session=${t}`);
      return await app.request(`${publicOrigin ?? ORIGIN}${path}`, { ...rest, headers });
    },
  };
}

/** The response's Set-Cookie headers by cookie name. */
export function cookies(res: Response): Map<string, string> {
  return new Map(res.headers.getSetCookie().map((c) => [c.slice(0, c.indexOf("=")), c]));
}

/** A form body. */
export function form(values: Record<string, string>): URLSearchParams {
  return new URLSearchParams(values);
}

/** Closes the store the harnesses share (last test of a file). */
export async function closeSharedStore(): Promise<void> {
  await store?.close();
  store = undefined;
}
