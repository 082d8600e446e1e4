/**
 * How the console signs users in, chosen from the environment:
 *
 * - **Supabase Auth** (`SUPABASE_URL` set): tokens verified against the
 *   project's JWKS (`CONSOLE_JWKS_URL` overrides the URL), `HS256` only with
 *   a legacy `SUPABASE_JWT_SECRET`; email + password sign-in through the
 *   password grant when `SUPABASE_ANON_KEY` is set.
 * - **Embedded** (no `SUPABASE_URL`): a signing key generated at start and
 *   one-time admin links (`/signin/link?token=…`) printed by the process.
 *
 * @module
 */
import { z } from "zod";
import { generateSigningKey, mintAccessToken, type SigningKey } from "./mint.ts";
import { OneTimeLinks } from "./one_time_link.ts";
import {
  type PasswordSignIn,
  type RefreshSession,
  supabasePasswordSignIn,
  supabaseRefreshSession,
} from "./password_grant.ts";
import { createTokenVerifier, type TokenVerifier } from "./verifier.ts";

/** The embedded console's token issuer. */
export const EMBEDDED_ISSUER = "urn:whatsapp-voice:console:embedded";

/** How long an embedded session lasts, in seconds. */
export const EMBEDDED_SESSION_S = 12 * 3600;

/** The embedded mode's parts: links and the key that signs their sessions. */
export interface EmbeddedAuth {
  links: OneTimeLinks;
  key: SigningKey;
  /** A session token for the holder of a redeemed link: admin, for `EMBEDDED_SESSION_S`. */
  mintSession(): Promise<string>;
}

/** Sign-in and verification, shared by every console route. */
export interface ConsoleAuth {
  verifier: TokenVerifier;
  /** Supabase mode with an anon key: email + password sign-in. */
  passwordSignIn?: PasswordSignIn | undefined;
  /** Supabase mode with an anon key: renews an expired session from its refresh token. */
  refreshSession?: RefreshSession | undefined;
  /** Embedded mode. */
  embedded?: EmbeddedAuth | undefined;
  /**
   * The origin users reach the console at (`CONSOLE_PUBLIC_URL`) when a proxy
   * terminates TLS in front of it: used for the CSRF origin check and Secure cookies.
   */
  publicOrigin?: string | undefined;
}

/** Embedded sign-in: a fresh key, one-time links, sessions as `local-admin`. */
export async function embeddedAuth(
  options: { now?: () => Date; publicOrigin?: string | undefined } = {},
): Promise<ConsoleAuth & { embedded: EmbeddedAuth }> {
  const now = options.now ?? (() => new Date());
  const key = await generateSigningKey();
  return {
    verifier: createTokenVerifier({ issuer: EMBEDDED_ISSUER, jwks: key.jwks, now }),
    embedded: {
      links: new OneTimeLinks(now),
      key,
      mintSession: () =>
        mintAccessToken(key, {
          issuer: EMBEDDED_ISSUER,
          sub: "local-admin",
          email: null,
          role: "admin",
          expiresInS: EMBEDDED_SESSION_S,
          now: now(),
        }),
    },
    publicOrigin: options.publicOrigin,
  };
}

/** Supabase settings of {@linkcode supabaseAuth}. */
export interface SupabaseAuthOptions {
  supabaseUrl: string;
  anonKey?: string | undefined;
  /** Default `${supabaseUrl}/auth/v1/.well-known/jwks.json`. */
  jwksUrl?: string | undefined;
  /** The legacy JWT secret: `HS256` tokens signed with it are accepted. */
  legacySecret?: string | undefined;
  publicOrigin?: string | undefined;
  fetch?: typeof fetch;
}

/** Supabase Auth sign-in for a project. */
export function supabaseAuth(options: SupabaseAuthOptions): ConsoleAuth {
  const base = options.supabaseUrl.replace(/\/+$/, "");
  const issuer = `${base}/auth/v1`;
  return {
    verifier: createTokenVerifier({
      issuer,
      jwks: new URL(options.jwksUrl ?? `${issuer}/.well-known/jwks.json`),
      legacySecret: options.legacySecret,
    }),
    passwordSignIn: options.anonKey
      ? supabasePasswordSignIn(base, options.anonKey, options.fetch)
      : undefined,
    refreshSession: options.anonKey
      ? supabaseRefreshSession(base, options.anonKey, options.fetch)
      : undefined,
    publicOrigin: options.publicOrigin,
  };
}

const optionalUrl = z.url({ protocol: /^https?$/ }).optional();
const authEnv = z.object({
  SUPABASE_URL: optionalUrl,
  SUPABASE_ANON_KEY: z.string().optional(),
  SUPABASE_JWT_SECRET: z.string().optional(),
  CONSOLE_JWKS_URL: optionalUrl,
  CONSOLE_PUBLIC_URL: optionalUrl,
  CONSOLE_AUTH: z.enum(["supabase", "embedded"]).optional(),
});

/** The sign-in the environment asks for (empty values count as unset). */
export async function consoleAuthFromEnv(
  get: (name: string) => string | undefined,
): Promise<ConsoleAuth> {
  const read = (name: string) => get(name) || undefined;
  const env = authEnv.parse(
    Object.fromEntries(Object.keys(authEnv.shape).map((k) => [k, read(k)])),
  );
  const publicOrigin = env.CONSOLE_PUBLIC_URL ? new URL(env.CONSOLE_PUBLIC_URL).origin : undefined;
  const mode = env.CONSOLE_AUTH ?? (env.SUPABASE_URL ? "supabase" : "embedded");
  if (mode === "embedded") return await embeddedAuth({ publicOrigin });
  if (!env.SUPABASE_URL) throw new RangeError("CONSOLE_AUTH=supabase needs SUPABASE_URL");
  return supabaseAuth({
    supabaseUrl: env.SUPABASE_URL,
    anonKey: env.SUPABASE_ANON_KEY,
    jwksUrl: env.CONSOLE_JWKS_URL,
    legacySecret: env.SUPABASE_JWT_SECRET,
    publicOrigin,
  });
}
