import assert from "node:assert/strict";
import { devEnv, devSecrets } from "./dev.ts";

Deno.test("dev: internal secrets are made up when unset, kept when set, and all reach the log redactor", () => {
  const env = devEnv({ OPENAI_API_KEY: "sk-test-123", VOICE_BRIDGE_SECRET: "" });
  assert.match(env.VOICE_BRIDGE_SECRET!, /^[0-9a-f]{48}$/);
  assert.notEqual(env.SUPABASE_SERVICE_ROLE_KEY, devEnv({}).SUPABASE_SERVICE_ROLE_KEY);
  assert.equal(
    devEnv({ VOICE_BRIDGE_SECRET: "mine-0123456789abcdef" }).VOICE_BRIDGE_SECRET,
    "mine-0123456789abcdef",
  );
  const secrets = devSecrets(env);
  for (
    const name of [
      "VOICE_BRIDGE_SECRET",
      "SUPABASE_SERVICE_ROLE_KEY",
      "OPENAI_API_KEY",
      "WHATSAPP_APP_SECRET",
    ]
  ) {
    assert.ok(secrets.includes(env[name]!), name);
  }
});
