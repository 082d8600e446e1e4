import assert from "node:assert/strict";
import {
  envErrorResponse,
  parseFunctionsEnv,
  requireEnv,
} from "../../supabase/functions/_shared/env.ts";
import { DEFAULT_GRAPH_URL } from "../../lib/whatsapp/graph.ts";

Deno.test("env: defaults apply and blank values count as unset", () => {
  const r = parseFunctionsEnv({
    WHATSAPP_APP_SECRET: "  ",
    WHATSAPP_GRAPH_URL: "",
  });
  assert.ok(r.ok);
  assert.equal(r.env.WHATSAPP_GRAPH_URL, DEFAULT_GRAPH_URL);
  assert.equal(r.env.WHATSAPP_APP_SECRET, undefined);
});

Deno.test("env: malformed variables are named, their values never shown", () => {
  const r = parseFunctionsEnv({
    VOICE_BRIDGE_URL: "ftp://secret-host",
    SUPABASE_URL: "nope-secret",
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.sort(), [
    "SUPABASE_URL: invalid value",
    "VOICE_BRIDGE_URL: invalid value",
  ]);
  assert.doesNotMatch(JSON.stringify(r.problems), /secret/);
});

Deno.test("env: requireEnv lists every missing name; the 500 body carries only names", async () => {
  const parsed = parseFunctionsEnv({ WHATSAPP_ACCESS_TOKEN: "tok-value" });
  const check = requireEnv(parsed, [
    "WHATSAPP_ACCESS_TOKEN",
    "VOICE_BRIDGE_URL",
    "VOICE_BRIDGE_SECRET",
  ]);
  assert.ok(!check.ok);
  assert.deepEqual(check.problems, ["VOICE_BRIDGE_URL: missing", "VOICE_BRIDGE_SECRET: missing"]);
  const ok = requireEnv(parsed, ["WHATSAPP_ACCESS_TOKEN"]);
  assert.ok(ok.ok);
  assert.equal(ok.env.WHATSAPP_ACCESS_TOKEN, "tok-value");
  const res = envErrorResponse(check.problems);
  assert.equal(res.status, 500);
  const body = await res.text();
  assert.match(body, /VOICE_BRIDGE_URL/);
  assert.doesNotMatch(body, /tok-value/);
});
