import assert from "node:assert/strict";
import { z } from "zod";
import { parseFunctionsEnv } from "../../supabase/functions/_shared/env.ts";
import {
  functionSubPath,
  idempotencyKey,
  readIdempotentPost,
  refuseUnlessServiceRole,
  replayIdempotent,
  sha256Hex,
} from "../../supabase/functions/_shared/service_request.ts";

const KEY = "service-role-key";
const parsed = parseFunctionsEnv({ SUPABASE_SERVICE_ROLE_KEY: KEY });

function post(headers: Record<string, string> = {}): Request {
  return new Request("http://x/functions/v1/wa-outbound-calls/", {
    method: "POST",
    headers,
    body: "{}",
  });
}

Deno.test("only the service role key as bearer token gets in", async () => {
  assert.equal(
    await refuseUnlessServiceRole(parsed, post({ authorization: `Bearer ${KEY}` })),
    null,
  );
  const wrong = await refuseUnlessServiceRole(parsed, post({ authorization: "Bearer nope" }));
  assert.equal(wrong?.status, 401);
  assert.deepEqual(await wrong?.json(), { error: "unauthorized" });
  assert.equal((await refuseUnlessServiceRole(parsed, post()))?.status, 401);
  const unset = await refuseUnlessServiceRole(parseFunctionsEnv({}), post());
  assert.equal(unset?.status, 500);
  assert.match(JSON.stringify(await unset?.json()), /SUPABASE_SERVICE_ROLE_KEY: missing/);
});

Deno.test("a retry replays the first answer; other content or an unfinished first request does not", async () => {
  const stored = { requestHash: "h1", pending: false, response: { status: 201, body: { id: 7 } } };
  const replay = replayIdempotent(stored, "h1");
  assert.equal(replay.status, 201);
  assert.equal(replay.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(await replay.json(), { id: 7 });
  const reused = replayIdempotent(stored, "h2");
  assert.equal(reused.status, 422);
  assert.deepEqual(await reused.json(), { error: "idempotency_key_reused" });
  const pending = replayIdempotent({ ...stored, pending: true, response: null }, "h1");
  assert.equal(pending.status, 409);
  assert.deepEqual(await pending.json(), { error: "request_in_progress" });
});

Deno.test("the Idempotency-Key is required and printable", async () => {
  const ok = await idempotencyKey(post({ "idempotency-key": "k-1" }));
  assert.deepEqual(ok, { ok: true, key: "k-1" });
  for (const req of [post(), post({ "idempotency-key": "a b" })]) {
    const r = await idempotencyKey(req);
    assert.ok(!r.ok);
    assert.equal(r.response.status, 400);
    assert.equal((await r.response.json()).error, "idempotency_key_required");
  }
});

Deno.test("the sub-path is what follows the function's name, without trailing slashes", async () => {
  const at = (path: string) => new Request(`http://x${path}`);
  assert.equal(functionSubPath(at("/functions/v1/wa-outbound-calls/"), "wa-outbound-calls"), "");
  assert.equal(
    functionSubPath(at("/functions/v1/wa-outbound-calls/wacid.1//"), "wa-outbound-calls"),
    "/wacid.1",
  );
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("an idempotent POST: key, then body, then the business number or its default", async () => {
  const schema = z.object({ user: z.string(), phone_number_id: z.string().optional() });
  const req = (body: unknown, key = "k-1") =>
    new Request("http://x/", {
      method: "POST",
      headers: { "idempotency-key": key },
      body: JSON.stringify(body),
    });
  const named = await readIdempotentPost(req({ user: "1", phone_number_id: "22" }), schema, "99");
  assert.ok(named.ok && named.post.phoneNumberId === "22" && named.post.key === "k-1");
  const byDefault = await readIdempotentPost(req({ user: "1" }), schema, "99");
  assert.ok(byDefault.ok && byDefault.post.phoneNumberId === "99");
  assert.deepEqual(byDefault.ok && byDefault.post.data, { user: "1" });
  const none = await readIdempotentPost(req({ user: "1" }), schema, undefined);
  assert.ok(!none.ok);
  assert.equal(none.response.status, 400);
  assert.equal((await none.response.json()).error, "phone_number_id_required");
  const invalid = await readIdempotentPost(req({ nope: 1 }), schema, "99");
  assert.ok(!invalid.ok && invalid.response.status === 400);
  const noKey = await readIdempotentPost(req({ user: "1" }, ""), schema, "99");
  assert.ok(!noKey.ok);
  assert.equal((await noKey.response.json()).error, "idempotency_key_required");
});
