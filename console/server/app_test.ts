import assert from "node:assert/strict";
import { sessionCsrfToken } from "./auth/session.ts";
import { CONTENT_SECURITY_POLICY } from "./security_headers.ts";
import { MAX_CONSOLE_BODY_BYTES } from "./app.ts";
import type { Role } from "./context.ts";
import { closeSharedStore, form, harness, ORIGIN } from "./auth/app_test_utils.ts";

Deno.test("console app: every response carries the strict CSP and secure headers", async () => {
  const h = await harness();
  const admin = await h.token("admin");
  const html = { accept: "text/html" };
  const responses: Array<[string, Response]> = [
    ["sign-in page", await h.req("/signin")],
    ["stylesheet", await h.req("/static/console.css")],
    ["npm asset", await h.req("/static/vendor/uPlot.min.css")],
    ["favicon", await h.req("/favicon.ico")],
    ["missing asset", await h.req("/static/nope.js")],
    ["redirect to sign-in", await h.req("/live", { headers: html })],
    ["401", await h.req("/api/live")],
    ["404 signed in", await h.req("/nope", { token: admin })],
    ["403 role", await h.req("/__gate/admin", { token: await h.token("viewer") })],
    ["403 no role", await h.req("/live", { token: await h.token(undefined), headers: html })],
    ["403 csrf", await h.req("/__gate/viewer", { method: "POST", token: admin })],
    ["500", await h.req("/__boom", { token: admin })],
    ["spent link", await h.req("/signin/link?token=abc")],
    ["root", await h.req("/", { token: admin })],
  ];
  for (const [what, res] of responses) {
    await res.body?.cancel();
    assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, what);
    assert.equal(res.headers.get("x-frame-options"), "DENY", what);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
  }
  for (
    const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]
  ) assert.ok(CONTENT_SECURITY_POLICY.split("; ").includes(directive), directive);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe/);
  assert.deepEqual(responses.map(([, r]) => r.status), [
    200,
    200,
    200,
    200,
    404,
    302,
    401,
    404,
    403,
    403,
    403,
    500,
    403,
    302,
  ]);
});

Deno.test("console app: without a session a page goes to /signin, fetch and API get 401 JSON", async () => {
  const h = await harness();
  const page = await h.req("/calls/abc?x=1", {
    headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
  });
  assert.equal(page.status, 302);
  assert.equal(page.headers.get("location"), "/signin?next=%2Fcalls%2Fabc%3Fx%3D1");
  for (
    const init of [
      { headers: { accept: "application/json" } },
      { headers: { accept: "text/html", "sec-fetch-mode": "cors" } },
      { method: "POST", headers: { origin: ORIGIN } },
    ]
  ) {
    const res = await h.req("/live", init);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, "unauthenticated");
  }
  const api = await h.req("/api/anything", { headers: { accept: "text/html" } });
  assert.equal(api.status, 401);
  await api.body?.cancel();
  for (const t of [await h.token("admin", -3600), "not.a.token", `${await h.token("admin")}x`]) {
    const res = await h.req("/__gate/viewer", { token: t, headers: { accept: "text/html" } });
    assert.equal(res.status, 302, "expired, garbage or tampered session");
    assert.match(res.headers.get("location")!, /^\/signin/);
  }
});

Deno.test("console app: viewer, operator and admin gates", async () => {
  const h = await harness();
  const expected: Record<Role, Role[]> = {
    viewer: ["viewer"],
    operator: ["viewer", "operator"],
    admin: ["viewer", "operator", "admin"],
  };
  for (const role of ["viewer", "operator", "admin"] as const) {
    const t = await h.token(role);
    for (const gate of ["viewer", "operator", "admin"] as const) {
      const res = await h.req(`/__gate/${gate}`, { token: t });
      const allowed = expected[role].includes(gate);
      assert.equal(res.status, allowed ? 200 : 403, `${role} on ${gate}`);
      if (allowed) assert.equal(await res.text(), `ok ${role}`);
      else await res.body?.cancel();
    }
  }
  const none = await h.req("/__gate/viewer", {
    token: await h.token(undefined),
    headers: { accept: "text/html" },
  });
  assert.equal(none.status, 403);
  assert.match(await none.text(), /Ask an admin/);
  const unknown = await h.req("/__gate/viewer", { token: await h.token("root") });
  assert.equal(unknown.status, 403);
  assert.equal((await unknown.json()).error, "unknown_role");
});

Deno.test("console app: changes need the session's CSRF token and this origin", async () => {
  const h = await harness();
  const t = await h.token("admin");
  const csrf = await sessionCsrfToken(t);
  const other = await sessionCsrfToken(await h.token("operator"));
  const post = (headers: Record<string, string>, body?: BodyInit) =>
    h.req("/__gate/viewer", { method: "POST", token: t, headers, ...(body ? { body } : {}) });
  const cases: Array<[string, Response, number]> = [
    ["missing", await post({ origin: ORIGIN }), 403],
    ["wrong", await post({ origin: ORIGIN, "x-csrf-token": other }), 403],
    ["wrong field", await post({ origin: ORIGIN }, form({ _csrf: `${csrf}x` })), 403],
    [
      "cross-origin with token",
      await post({ origin: "https://evil.test", "x-csrf-token": csrf }),
      403,
    ],
    [
      "cross-origin JSON with token",
      await post(
        { origin: "https://evil.test", "x-csrf-token": csrf, "content-type": "application/json" },
        "{}",
      ),
      403,
    ],
    [
      "cross-site form, no Origin",
      await post({ "sec-fetch-site": "cross-site" }, form({ _csrf: csrf })),
      403,
    ],
    ["header", await post({ origin: ORIGIN, "x-csrf-token": csrf }), 200],
    ["form field", await post({ origin: ORIGIN }, form({ _csrf: csrf })), 200],
    [
      "same-origin fetch",
      await post({ "sec-fetch-site": "same-origin", "x-csrf-token": csrf }),
      200,
    ],
  ];
  for (const [what, res, status] of cases) {
    assert.equal(res.status, status, what);
    await res.body?.cancel();
  }
});

Deno.test("console app: an oversized body is refused before anything reads it", async () => {
  const h = await harness();
  const t = await h.token("admin");
  const csrf = await sessionCsrfToken(t);
  const big = form({ _csrf: csrf, pad: "x".repeat(MAX_CONSOLE_BODY_BYTES) });
  const res = await h.req("/__gate/viewer", {
    method: "POST",
    token: t,
    headers: { origin: ORIGIN },
    body: big,
  });
  assert.equal(res.status, 413);
  await res.body?.cancel();
  const small = await h.req("/__gate/viewer", {
    method: "POST",
    token: t,
    headers: { origin: ORIGIN },
    body: form({ _csrf: csrf, pad: "x" }),
  });
  assert.equal(small.status, 200);
  await small.body?.cancel();
});

Deno.test("console app: static files with their types, revalidation, no traversal", async () => {
  const h = await harness();
  const css = await h.req("/static/console.css");
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal(css.headers.get("cache-control"), "no-cache");
  await css.body?.cancel();
  const again = await h.req("/static/console.css", {
    headers: { "if-none-match": css.headers.get("etag")! },
  });
  assert.equal(again.status, 304);
  const esm = await h.req("/static/vendor/uPlot.esm.js");
  assert.equal(esm.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(await esm.text(), /export \{ uPlot as default \}/);
  const iife = await h.req("/static/vendor/uPlot.iife.min.js");
  assert.equal(iife.status, 200);
  await iife.body?.cancel();
  for (
    const path of [
      "/static/..%2Fserver%2Fapp.ts",
      "/static/.hidden.css",
      "/static/vendor/axe.min.js",
      "/static/x.ts",
    ]
  ) {
    const res = await h.req(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("console app: closes the shared store", closeSharedStore);
