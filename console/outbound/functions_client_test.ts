import assert from "node:assert/strict";
import { SANDBOX_PERMISSION_LIMITS } from "../../lib/whatsapp/call_permission_decision.ts";
import { functionsOutbound, outboundFromEnv } from "./functions_client.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("outboundFromEnv: needs a functions URL and the service role key", () => {
  assert.equal(outboundFromEnv(env({})), undefined);
  assert.equal(
    outboundFromEnv(env({ CONSOLE_FUNCTIONS_URL: "http://127.0.0.1:1/functions/v1" })),
    undefined,
  );
  assert.equal(outboundFromEnv(env({ SUPABASE_SERVICE_ROLE_KEY: "k" })), undefined);
  const s = outboundFromEnv(env({
    SUPABASE_URL: "https://abc.supabase.co",
    SUPABASE_SERVICE_ROLE_KEY: "k",
    WHATSAPP_PHONE_NUMBER_ID: "123",
    WA_CALL_PERMISSION_LIMITS: "sandbox",
    WA_CONNECTED_CALLS_PER_DAY: "7",
  }));
  assert.ok(s);
  assert.equal(s.defaultPhoneNumberId, "123");
  assert.deepEqual(s.limits, { ...SANDBOX_PERMISSION_LIMITS, connectedCallsPerDay: 7 });
  assert.throws(() => outboundFromEnv(env({ WA_CALL_PERMISSION_LIMITS: "lax" })));
});

Deno.test("functionsOutbound: bearer, idempotency key, path; a replay is reported", async () => {
  const seen: Request[] = [];
  const fake = (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    seen.push(req);
    return Promise.resolve(
      Response.json({ call: { id: "wacid.X" } }, {
        status: 201,
        headers: seen.length > 1 ? { "idempotent-replayed": "true" } : {},
      }),
    );
  };
  const s = functionsOutbound({
    functionsUrl: "http://functions.test/functions/v1/",
    serviceRoleKey: "secret-key",
    fetch: fake as typeof fetch,
  });
  const body = { user: "447700900123", phone_number_id: "1" };
  const first = await s.placeCall("console-k", body);
  const again = await s.placeCall("console-k", body);
  assert.deepEqual([first.status, first.replayed, again.replayed], [201, false, true]);
  assert.equal(seen[0]!.url, "http://functions.test/functions/v1/wa-outbound-calls");
  assert.equal(seen[0]!.headers.get("authorization"), "Bearer secret-key");
  assert.equal(seen[0]!.headers.get("idempotency-key"), "console-k");
  assert.deepEqual(await seen[0]!.json(), body);
  await s.requestPermission("console-p", { ...body, message: { type: "interactive" } });
  assert.equal(seen[2]!.url, "http://functions.test/functions/v1/wa-call-permissions/requests");
});

Deno.test("functionsOutbound: an answer that is not JSON is read as unreadable", async () => {
  const s = functionsOutbound({
    functionsUrl: "http://functions.test/functions/v1",
    serviceRoleKey: "k",
    fetch: (() =>
      Promise.resolve(new Response("<html>bad gateway", { status: 502 }))) as typeof fetch,
  });
  const a = await s.placeCall("console-k", { user: "447700900123", phone_number_id: "1" });
  assert.deepEqual(a, { status: 502, body: { error: "unreadable_answer" }, replayed: false });
});
