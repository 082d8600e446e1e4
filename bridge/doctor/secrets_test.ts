import assert from "node:assert/strict";
import { bridgeAcceptsRow, parseEnvFile, secretAgreementRow } from "./secrets.ts";
import { renderTable } from "./check.ts";
import { startTestBridge, TEST_BRIDGE_SECRET } from "../../tests/support/test_bridge.ts";

const BRIDGE = "bridge-secret-0123456789abcdef";

Deno.test("doctor secrets: env files parse as supabase secrets set --env-file takes them", () => {
  assert.deepEqual(
    parseEnvFile(
      "# functions\nVOICE_BRIDGE_SECRET=abc\nexport A='x y'\nB=\"q\"\nC=v # note\n\nbad line\n",
    ),
    { VOICE_BRIDGE_SECRET: "abc", A: "x y", B: "q", C: "v" },
  );
});

Deno.test("doctor secrets: equal copies pass, different ones fail; values never printed", async () => {
  const same = await secretAgreementRow({
    bridgeSecret: BRIDGE,
    functions: { vars: { VOICE_BRIDGE_SECRET: BRIDGE }, source: "file" },
  });
  assert.equal(same.status, "ok");
  const other = "functions-secret-9876543210fedcba";
  const differ = await secretAgreementRow({
    bridgeSecret: BRIDGE,
    functions: { vars: { VOICE_BRIDGE_SECRET: other }, source: "file" },
  });
  assert.equal(differ.status, "fail");
  assert.match(differ.fix!, /same value on both/);
  const text = renderTable([same, differ]);
  assert.doesNotMatch(text, new RegExp(`${BRIDGE}|${other}`));
});

Deno.test("doctor secrets: one environment, or a copy missing, is a skip with the reason", async () => {
  const one = await secretAgreementRow({
    bridgeSecret: BRIDGE,
    functions: { vars: { VOICE_BRIDGE_SECRET: BRIDGE }, source: "environment" },
  });
  assert.equal(one.status, "skip");
  assert.match(one.detail, /--functions-env/);
  const missing = await secretAgreementRow({
    bridgeSecret: BRIDGE,
    functions: { vars: {}, source: "file" },
  });
  assert.equal(missing.status, "skip");
});

Deno.test("doctor secrets: the running bridge accepts the functions' secret, or refuses it", async () => {
  const { bridge } = startTestBridge();
  try {
    const accepted = await bridgeAcceptsRow({
      bridgeSecret: TEST_BRIDGE_SECRET,
      functions: {
        vars: { VOICE_BRIDGE_URL: bridge.url, VOICE_BRIDGE_SECRET: TEST_BRIDGE_SECRET },
        source: "file",
      },
    }, { timeoutMs: 3000 });
    assert.equal(accepted.status, "ok", accepted.detail);
    const refused = await bridgeAcceptsRow({
      bridgeSecret: TEST_BRIDGE_SECRET,
      functions: {
        vars: { VOICE_BRIDGE_URL: bridge.url, VOICE_BRIDGE_SECRET: "another-secret-0123456789" },
        source: "file",
      },
    }, { timeoutMs: 3000 });
    assert.equal(refused.status, "fail");
    assert.match(refused.detail, /refuses the functions' secret \(HTTP 401\)/);
  } finally {
    await bridge.close(0);
  }
});
