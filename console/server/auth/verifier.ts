/**
 * Verifying Supabase Auth access tokens: the signature against the project's
 * JWKS (asymmetric keys, `ES256` or `RS256`), or, for older projects that set
 * `SUPABASE_JWT_SECRET`, `HS256` with that secret. The algorithm list is
 * explicit, so `alg: none` and `HS256` signed with a public key are refused.
 * Issuer, audience and expiry are checked with a small clock skew, and the
 * console role comes from the user's `app_metadata` (see `roles.ts`).
 *
 * @module
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from "jose";
import type { ConsoleUser } from "../context.ts";
import { roleFromClaims } from "./roles.ts";

/** Supabase Auth's audience for signed-in users. */
export const SUPABASE_AUDIENCE = "authenticated";

/** Asymmetric algorithms accepted from a JWKS. */
export const JWKS_ALGORITHMS = ["ES256", "RS256"] as const;

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

/** Why a token was not accepted. */
export type RejectReason =
  /** Bad signature, algorithm, issuer, audience, key id or shape. */
  | "invalid"
  | "expired"
  /** Valid, but the user has no console role in `app_metadata`. */
  | "no_role"
  /** Valid, but `app_metadata` names a role the console does not know. */
  | "unknown_role";

/** The outcome of {@linkcode TokenVerifier.verify}. */
export type Verified =
  | { ok: true; user: ConsoleUser; expiresAt: Date }
  | { ok: false; reason: RejectReason; email?: string | null; detail?: string };

/** Verifies access tokens. */
export interface TokenVerifier {
  /** Whether `token` is a valid access token of a user with a console role. */
  verify(token: string): Promise<Verified>;
}

/** Where keys come from and what the tokens must say. */
export interface VerifierOptions {
  /** `${SUPABASE_URL}/auth/v1`: Supabase's `iss`. */
  issuer: string;
  /** Default `authenticated`. */
  audience?: string;
  /** The JWKS endpoint (`${issuer}/.well-known/jwks.json`), or the key set itself. */
  jwks: URL | JSONWebKeySet;
  /** The legacy shared secret: allows `HS256` with it, and only with it. */
  legacySecret?: string | undefined;
  /** The clock, for tests. */
  now?: () => Date;
}

type KeyInput = Parameters<typeof jwtVerify>[1];

/** A verifier for `options`. The remote JWKS is fetched on first use and cached (10 min). */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys = options.jwks instanceof URL
    ? createRemoteJWKSet(options.jwks, { cacheMaxAge: 600_000, timeoutDuration: 5_000 })
    : createLocalJWKSet(options.jwks);
  const secret = options.legacySecret ? new TextEncoder().encode(options.legacySecret) : undefined;
  const check = {
    issuer: options.issuer,
    audience: options.audience ?? SUPABASE_AUDIENCE,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ["exp", "sub"],
  };
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        // Only the algorithm picks the key family; the key itself never comes from the token.
        const symmetric = secret !== undefined && decodeProtectedHeader(token).alg === "HS256";
        const key: KeyInput = symmetric ? secret : keys as KeyInput;
        ({ payload } = await jwtVerify(token, key, {
          ...check,
          ...(options.now ? { currentDate: options.now() } : {}),
          algorithms: symmetric ? ["HS256"] : [...JWKS_ALGORITHMS],
        }));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const reason = code === "ERR_JWT_EXPIRED" ? "expired" : "invalid";
        return { ok: false, reason, detail: typeof code === "string" ? code : String(error) };
      }
      return userFromPayload(payload);
    },
  };
}

function userFromPayload(payload: JWTPayload): Verified {
  const email = typeof payload.email === "string" ? payload.email : null;
  const role = roleFromClaims(payload);
  if (!role.ok) return { ok: false, reason: role.reason, email };
  return {
    ok: true,
    user: { id: payload.sub!, email, role: role.role },
    expiresAt: new Date(payload.exp! * 1000),
  };
}
