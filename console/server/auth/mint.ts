/**
 * Minting access tokens shaped like Supabase Auth's (`iss`, `aud:
 * authenticated`, `sub`, `email`, `exp`, `role: authenticated`,
 * `app_metadata.role`), signed with an ES256 key of our own. The embedded
 * console signs its sessions this way; tests mint tokens for every role.
 *
 * @module
 */
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import type { Role } from "../context.ts";
import { SUPABASE_AUDIENCE } from "./verifier.ts";

/** An ES256 key pair with its public half as a JWKS. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public key, as `/.well-known/jwks.json` serves it. */
  jwks: JSONWebKeySet;
}

/** A fresh ES256 key pair (never leaves the process). */
export async function generateSigningKey(kid: string = crypto.randomUUID()): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, jwks: { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] } };
}

/** What a minted token says. */
export interface TokenClaims {
  issuer: string;
  sub: string;
  email?: string | null;
  /** `app_metadata.role`; absent: no console role. */
  role?: Role | string | undefined;
  /** Lifetime in seconds from `now`; negative for an expired token. */
  expiresInS: number;
  now?: Date;
  audience?: string;
  /** Supabase's `session_id`, the same across a session's refreshed tokens; default a new one. */
  sessionId?: string;
}

/** A signed access token for `claims`. */
export function mintAccessToken(key: SigningKey, claims: TokenClaims): Promise<string> {
  const now = Math.floor((claims.now ?? new Date()).getTime() / 1000);
  return new SignJWT({
    email: claims.email ?? undefined,
    role: "authenticated",
    aal: "aal1",
    app_metadata: claims.role === undefined ? { provider: "email" } : {
      provider: "email",
      role: claims.role,
    },
    user_metadata: {},
    session_id: claims.sessionId ?? crypto.randomUUID(),
  })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience ?? SUPABASE_AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.expiresInS)
    .sign(key.privateKey);
}
