import assert from "node:assert/strict";
import { exportJWK, exportSPKI, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import { createTokenVerifier, type TokenVerifier } from "./verifier.ts";
import { generateSigningKey, mintAccessToken, type SigningKey, type TokenClaims } from "./mint.ts";
import { base64url } from "./session.ts";

/** A local JWKS endpoint over HTTP, as Supabase serves `/auth/v1/.well-known/jwks.json`. */
async function withJwksServer(
  fn: (ctx: {
    issuer: string;
    es: SigningKey;
    rs: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };
    verifier: (legacySecret?: string) => TokenVerifier;
    mint: (claims?: Partial<TokenClaims>) => Promise<string>;
    fetches: () => number;
  }) => Promise<void>,
) {
  const es = await generateSigningKey("es-1");
  const rsPair = await generateKeyPair("RS256", { extractable: true });
  const rs = { kid: "rs-1", ...rsPair };
  const jwks: JSONWebKeySet = {
    keys: [...es.jwks.keys, { ...await exportJWK(rsPair.publicKey), kid: "rs-1", alg: "RS256" }],
  };
  let fetches = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    fetches++;
    return new URL(req.url).pathname === "/auth/v1/.well-known/jwks.json"
      ? Response.json(jwks)
      : new Response("no", { status: 404 });
  });
  const issuer = `http://127.0.0.1:${server.addr.port}/auth/v1`;
  try {
    await fn({
      issuer,
      es,
      rs,
      fetches: () => fetches,
      verifier: (legacySecret) =>
        createTokenVerifier({
          issuer,
          jwks: new URL(`${issuer}/.well-known/jwks.json`),
          legacySecret,
        }),
      mint: (claims = {}) =>
        mintAccessToken(es, {
          issuer,
          sub: "u-1",
          email: "a@b.test",
          role: "operator",
          expiresInS: 600,
          ...claims,
        }),
    });
  } finally {
    await server.shutdown();
  }
}

function claims(issuer: string, extra: Record<string, unknown> = {}) {
  return { app_metadata: { role: "admin" }, email: "x@y.test", ...extra, iss: issuer };
}

function signed(alg: string, kid: string, issuer: string) {
  return new SignJWT(claims(issuer))
    .setProtectedHeader({ alg, kid })
    .setAudience("authenticated")
    .setSubject("u-2")
    .setIssuedAt()
    .setExpirationTime("10m");
}

Deno.test("verifier: ES256 and RS256 tokens from the JWKS are accepted, with role and expiry", async () => {
  await withJwksServer(async ({ issuer, rs, verifier, mint }) => {
    const v = verifier();
    const es = await v.verify(await mint());
    assert.ok(es.ok);
    assert.deepEqual(es.user, { id: "u-1", email: "a@b.test", role: "operator" });
    assert.ok(Math.abs(es.expiresAt.getTime() - Date.now() - 600_000) < 5_000);
    const rsToken = await signed("RS256", rs.kid, issuer).sign(rs.privateKey);
    const r = await v.verify(rsToken);
    assert.ok(r.ok);
    assert.equal(r.user.role, "admin");
  });
});

Deno.test("verifier: alg none is refused", async () => {
  await withJwksServer(async ({ issuer, verifier }) => {
    const enc = (o: unknown) => base64url(new TextEncoder().encode(JSON.stringify(o)));
    const now = Math.floor(Date.now() / 1000);
    const body = { ...claims(issuer), aud: "authenticated", sub: "u-3", exp: now + 600, iat: now };
    for (const alg of ["none", "None", "NONE"]) {
      const token = `${enc({ alg, typ: "JWT" })}.${enc(body)}.`;
      assert.deepEqual((await verifier().verify(token)).ok, false, alg);
      assert.deepEqual((await verifier("legacy-secret-123456").verify(token)).ok, false, alg);
    }
  });
});

Deno.test("verifier: HS256 signed with the public key is refused (algorithm confusion)", async () => {
  await withJwksServer(async ({ issuer, es, rs, verifier }) => {
    const publicJwk = JSON.stringify(es.jwks.keys[0]);
    const spki = await exportSPKI(rs.publicKey);
    for (const [kid, secret] of [["es-1", publicJwk], ["rs-1", spki]] as const) {
      const token = await signed("HS256", kid, issuer).sign(new TextEncoder().encode(secret));
      const plain = await verifier().verify(token);
      assert.equal(plain.ok, false, `no legacy secret, kid ${kid}`);
      // With a legacy secret configured, HS256 is checked with that secret only.
      const legacy = await verifier("the-real-legacy-secret-0123456789").verify(token);
      assert.equal(legacy.ok, false, `legacy secret set, kid ${kid}`);
    }
  });
});

Deno.test("verifier: HS256 with the legacy secret is accepted only when SUPABASE_JWT_SECRET is set", async () => {
  await withJwksServer(async ({ issuer, verifier }) => {
    const secret = "super-secret-jwt-token-with-at-least-32-characters-long";
    const token = await signed("HS256", "", issuer).sign(new TextEncoder().encode(secret));
    assert.equal((await verifier(secret).verify(token)).ok, true);
    assert.equal((await verifier().verify(token)).ok, false);
    assert.equal((await verifier(`${secret}x`).verify(token)).ok, false);
  });
});

Deno.test("verifier: expiry with a small clock skew, wrong audience and issuer refused", async () => {
  await withJwksServer(async ({ verifier, mint }) => {
    const v = verifier();
    const expired = await v.verify(await mint({ expiresInS: -120 }));
    assert.deepEqual([expired.ok, !expired.ok && expired.reason], [false, "expired"]);
    assert.equal((await v.verify(await mint({ expiresInS: -5 }))).ok, true, "within 30 s skew");
    assert.equal((await v.verify(await mint({ audience: "anon" }))).ok, false);
    assert.equal(
      (await v.verify(await mint({ issuer: "https://other.supabase.co/auth/v1" }))).ok,
      false,
    );
  });
});

Deno.test("verifier: unknown key id and a tampered payload are refused", async () => {
  await withJwksServer(async ({ issuer, verifier, mint }) => {
    const v = verifier();
    const stranger = await generateSigningKey("es-unknown");
    const foreign = await mintAccessToken(stranger, {
      issuer,
      sub: "u",
      role: "admin",
      expiresInS: 600,
    });
    assert.equal((await v.verify(foreign)).ok, false);
    // Same kid as ours, wrong key.
    const impostor = await mintAccessToken({ ...stranger, kid: "es-1" }, {
      issuer,
      sub: "u",
      role: "admin",
      expiresInS: 600,
    });
    assert.equal((await v.verify(impostor)).ok, false);
    const [h, p, s] = (await mint({ role: "viewer" })).split(".");
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(
      atob(p!.replace(/-/g, "+").replace(/_/g, "/")),
      (c) => c.charCodeAt(0),
    )));
    payload.app_metadata.role = "admin";
    const tampered = `${h}.${base64url(new TextEncoder().encode(JSON.stringify(payload)))}.${s}`;
    assert.equal((await v.verify(tampered)).ok, false);
  });
});

Deno.test("verifier: role from app_metadata; none and unknown roles are refused, console_role first", async () => {
  await withJwksServer(async ({ issuer, es, verifier, mint }) => {
    const v = verifier();
    const none = await v.verify(await mint({ role: undefined }));
    assert.deepEqual([none.ok, !none.ok && none.reason], [false, "no_role"]);
    const unknown = await v.verify(await mint({ role: "superuser" }));
    assert.deepEqual([unknown.ok, !unknown.ok && unknown.reason], [false, "unknown_role"]);
    const both = await new SignJWT({ app_metadata: { role: "admin", console_role: "viewer" } })
      .setProtectedHeader({ alg: "ES256", kid: es.kid })
      .setIssuer(issuer).setAudience("authenticated").setSubject("u-5").setExpirationTime("5m")
      .sign(es.privateKey);
    const r = await v.verify(both);
    assert.ok(r.ok);
    assert.equal(r.user.role, "viewer");
    // user_metadata is writable by the user: a role there counts for nothing.
    const self = await new SignJWT({ user_metadata: { role: "admin" }, app_metadata: {} })
      .setProtectedHeader({ alg: "ES256", kid: es.kid })
      .setIssuer(issuer).setAudience("authenticated").setSubject("u-6").setExpirationTime("5m")
      .sign(es.privateKey);
    assert.equal((await v.verify(self)).ok, false);
  });
});

Deno.test("verifier: the JWKS algorithm list is asymmetric only, even if the set held a shared key", async () => {
  const secret = new TextEncoder().encode("a-shared-key-that-must-never-verify-0123456789");
  const oct = { kty: "oct", k: base64url(secret), kid: "oct-1" };
  const issuer = "https://project.supabase.co/auth/v1";
  const verifier = createTokenVerifier({ issuer, jwks: { keys: [oct] } });
  const token = await signed("HS256", "oct-1", issuer).sign(secret);
  const result = await verifier.verify(token);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.detail, "ERR_JOSE_ALG_NOT_ALLOWED");
});
