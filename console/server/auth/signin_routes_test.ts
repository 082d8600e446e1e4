import assert from "node:assert/strict";
import { embeddedAuth } from "./console_auth.ts";
import { sessionCsrfToken } from "./session.ts";
import { closeSharedStore, cookies, form, harness, ORIGIN, PASSWORD } from "./app_test_utils.ts";

Deno.test("sign-in: password sign-in sets a strict HttpOnly session cookie and honours next", async () => {
  const h = await harness();
  const page = await h.req("/signin?next=/calls/42");
  const nonceCookie = cookies(page).get("console_signin")!;
  assert.match(nonceCookie, /HttpOnly/);
  const nonce = nonceCookie.slice("console_signin=".length, nonceCookie.indexOf(";"));
  const body = await page.text();
  const csrf = body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  assert.match(body, /<label for="email">/);
  const submit = (values: Record<string, string>, cookie = `console_signin=${nonce}`) =>
    h.req("/signin", { method: "POST", headers: { origin: ORIGIN, cookie }, body: form(values) });

  const ok = await submit({
    _csrf: csrf,
    email: "operator@x.test",
    password: PASSWORD,
    next: "/calls/42",
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/calls/42");
  const session = cookies(ok).get("console_session")!;
  assert.match(session, /HttpOnly/);
  assert.match(session, /SameSite=Strict/);
  assert.match(session, /Path=\//);
  assert.doesNotMatch(session, /Secure/, "plain http: no Secure flag");
  const maxAge = Number(session.match(/Max-Age=(\d+)/)![1]);
  assert.ok(maxAge > 3590 && maxAge <= 3600, `Max-Age ${maxAge} follows the token's exp`);

  const offsite = await submit({
    _csrf: csrf,
    email: "admin@x.test",
    password: PASSWORD,
    next: "//evil.test/x",
  });
  assert.equal(offsite.headers.get("location"), "/live");
  const wrong = await submit({ _csrf: csrf, email: "admin@x.test", password: "nope" });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong email or password/);
  const noCsrf = await submit({ email: "admin@x.test", password: PASSWORD });
  assert.equal(noCsrf.status, 403);
  assert.equal(cookies(noCsrf).get("console_session"), undefined);
  await noCsrf.body?.cancel();
  const otherNonce = await submit(
    { _csrf: csrf, email: "admin@x.test", password: PASSWORD },
    "console_signin=zzz",
  );
  assert.equal(otherNonce.status, 403);
  await otherNonce.body?.cancel();
  const crossSite = await h.req("/signin", {
    method: "POST",
    headers: { origin: "https://evil.test", cookie: `console_signin=${nonce}` },
    body: form({ _csrf: csrf, email: "admin@x.test", password: PASSWORD }),
  });
  assert.equal(crossSite.status, 403);
  await crossSite.body?.cancel();
  const noRole = await submit({ _csrf: csrf, email: "none@x.test", password: PASSWORD });
  assert.equal(noRole.status, 403);
  assert.match(await noRole.text(), /no console role/);
  assert.equal(cookies(noRole).get("console_session"), undefined);
});

Deno.test("sign-in: behind an https public URL the cookies are Secure and __Host- prefixed", async () => {
  const h = await harness(undefined, "https://console.example.com");
  const page = await h.req("/signin");
  const nonceCookie = cookies(page).get("__Host-console_signin")!;
  assert.match(nonceCookie, /Secure/);
  const csrf = (await page.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
  const nonce = nonceCookie.slice("__Host-console_signin=".length, nonceCookie.indexOf(";"));
  const ok = await h.req("/signin", {
    method: "POST",
    headers: { origin: "https://console.example.com", cookie: `__Host-console_signin=${nonce}` },
    body: form({ _csrf: csrf, email: "viewer@x.test", password: PASSWORD }),
  });
  assert.equal(ok.status, 303);
  const session = cookies(ok).get("__Host-console_session")!;
  assert.match(session, /; Secure/);
  assert.match(session, /SameSite=Strict/);
  // The plain-http name is not read on an https console.
  const t = await h.token("admin");
  const plain = await h.req("/__gate/viewer", { token: t });
  assert.equal(plain.status, 401);
  await plain.body?.cancel();
});

Deno.test("sign-in: a one-time link signs in once as admin and lands on /live", async () => {
  const auth = await embeddedAuth();
  const h = await harness(auth);
  const token = await auth.embedded.links.issue();
  const first = await h.req(`/signin/link?token=${token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.get("location"), "/live");
  const cookie = cookies(first).get("console_session")!;
  const session = cookie.slice("console_session=".length, cookie.indexOf(";"));
  const gate = await h.req("/__gate/admin", { token: session });
  assert.equal(await gate.text(), "ok admin");
  const again = await h.req(`/signin/link?token=${token}`);
  assert.equal(again.status, 403);
  assert.match(await again.text(), /already used or has expired/);
  assert.equal(cookies(again).get("console_session"), undefined);
  // The embedded console has no password sign-in; tokens of another key are refused.
  const form403 = await h.req("/signin", {
    method: "POST",
    headers: { origin: ORIGIN },
    body: form({}),
  });
  assert.equal(form403.status, 403);
  await form403.body?.cancel();
  const foreign = await h.req("/__gate/viewer", { token: await h.token("admin") });
  assert.equal(foreign.status, 401);
  await foreign.body?.cancel();
});

Deno.test("sign-in: sign-out needs the CSRF token and clears the session", async () => {
  const h = await harness();
  const t = await h.token("viewer");
  const refused = await h.req("/signout", {
    method: "POST",
    token: t,
    headers: { origin: ORIGIN },
    body: form({}),
  });
  assert.equal(refused.status, 403);
  assert.equal(cookies(refused).get("console_session"), undefined);
  await refused.body?.cancel();
  const out = await h.req("/signout", {
    method: "POST",
    token: t,
    headers: { origin: ORIGIN },
    body: form({ _csrf: await sessionCsrfToken(t) }),
  });
  assert.equal(out.status, 303);
  assert.equal(out.headers.get("location"), "/signin");
  assert.match(cookies(out).get("console_session")!, /Max-Age=0/);
});

Deno.test("sign-in: an expired session is renewed from the refresh token, CSRF token unchanged", async () => {
  const h = await harness();
  const expired = await h.token("operator", -3600, "session-1");
  const csrf = await sessionCsrfToken(expired);
  const res = await h.req("/__gate/operator", {
    method: "POST",
    headers: {
      origin: ORIGIN,
      cookie: `console_session=${expired}; console_refresh=refresh-1`,
      "x-csrf-token": csrf,
    },
  });
  assert.equal(res.status, 200, "renewed, and the page's CSRF token still holds");
  assert.equal(await res.text(), "changed");
  const set = cookies(res);
  assert.match(set.get("console_refresh")!, /^console_refresh=refresh-2;.*HttpOnly/);
  const renewed = set.get("console_session")!;
  assert.match(renewed, /HttpOnly; SameSite=Strict/);
  const fresh = renewed.slice("console_session=".length, renewed.indexOf(";"));
  assert.equal(await sessionCsrfToken(fresh), csrf);
  // refresh-1 was spent: a replay of the old cookies is signed out.
  const replay = await h.req("/__gate/operator", {
    headers: {
      accept: "text/html",
      cookie: `console_session=${expired}; console_refresh=refresh-1`,
    },
  });
  assert.equal(replay.status, 302);
  assert.match(replay.headers.get("location")!, /^\/signin/);
  // A refresh cookie cannot rescue a forged access token: only expiry triggers a refresh.
  const forged = await h.req("/__gate/operator", {
    headers: { cookie: `console_session=${expired}x; console_refresh=refresh-2` },
  });
  assert.equal(forged.status, 401);
  await forged.body?.cancel();
});

Deno.test("sign-in: closes the shared store", closeSharedStore);
