import assert from "node:assert/strict";
import { startFakeSupabaseAuth, TEST_ANON_KEY, testUser } from "../test_utils.ts";
import { generateSigningKey } from "./mint.ts";
import { supabasePasswordSignIn, supabaseRefreshSession } from "./password_grant.ts";
import { createTokenVerifier } from "./verifier.ts";

Deno.test("password grant: sign-in and refresh over HTTP as Supabase Auth answers them", async () => {
  const key = await generateSigningKey();
  const fake = startFakeSupabaseAuth(key);
  try {
    const signIn = supabasePasswordSignIn(`${fake.url}/`, TEST_ANON_KEY);
    const refresh = supabaseRefreshSession(fake.url, TEST_ANON_KEY);
    const verifier = createTokenVerifier({ issuer: `${fake.url}/auth/v1`, jwks: key.jwks });

    const ok = await signIn(testUser("operator").email, testUser("operator").password);
    assert.ok(ok.ok && ok.refreshToken);
    const user = await verifier.verify(ok.accessToken);
    assert.ok(user.ok);
    assert.equal(user.user.role, "operator");

    const renewed = await refresh(ok.refreshToken);
    assert.ok(renewed.ok && renewed.refreshToken && renewed.refreshToken !== ok.refreshToken);
    const again = await refresh(ok.refreshToken);
    assert.deepEqual(again, {
      ok: false,
      status: 400,
      message: "Invalid Refresh Token: Refresh Token Not Found",
    });

    assert.deepEqual(await signIn(testUser("admin").email, "nope"), {
      ok: false,
      status: 400,
      message: "Invalid login credentials",
    });
    const badKey = await supabasePasswordSignIn(fake.url, "wrong-key")("a@b.c", "x");
    assert.deepEqual(badKey, { ok: false, status: 401, message: "Invalid API key" });
  } finally {
    await fake.close();
  }
});
