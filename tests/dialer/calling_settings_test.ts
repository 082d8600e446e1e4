/**
 * Meta's callback permission prompt: the Graph client and the CLI turn
 * `callback_permission_status` on and off against the fake Meta, which
 * validates the value and refuses unknown numbers and bad tokens.
 */
import assert from "node:assert/strict";
import { runCallingSettings } from "../../cli/calling_settings.ts";
import { GraphCallingSettingsClient } from "../../lib/whatsapp/graph_calling_settings.ts";
import { GraphPermissionError } from "../../lib/whatsapp/graph_permissions.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";

const TOKEN = "settings-token";
const PNID = DEFAULT_BUSINESS.phoneNumberId;

Deno.test("callback permission prompt: turned on and off through Graph settings", async () => {
  const graph = new FakeMetaGraph({ accessToken: TOKEN });
  const server = await graph.start();
  try {
    const client = new GraphCallingSettingsClient({ accessToken: TOKEN, baseUrl: server.url });
    assert.equal((await client.getCallingSettings(PNID)).callback_permission_status, "DISABLED");
    await client.setCallbackPermissionStatus(PNID, "ENABLED");
    assert.equal((await client.getCallingSettings(PNID)).callback_permission_status, "ENABLED");
    assert.equal(graph.callingSettings.calling(PNID).status, "ENABLED", "other fields kept");
    await assert.rejects(
      client.setCallbackPermissionStatus("999", "ENABLED"),
      GraphPermissionError,
    );
    const bad = new GraphCallingSettingsClient({ accessToken: "wrong", baseUrl: server.url });
    await assert.rejects(bad.getCallingSettings(PNID), (e: GraphPermissionError) => e.code === 190);
    const lines: string[] = [];
    const env = { WHATSAPP_ACCESS_TOKEN: TOKEN, WHATSAPP_GRAPH_URL: server.url };
    assert.equal(
      await runCallingSettings(
        ["callback-permission", "off", `--phone-number-id=${PNID}`],
        env,
        (l) => lines.push(l),
      ),
      0,
    );
    assert.equal(graph.callingSettings.calling(PNID).callback_permission_status, "DISABLED");
    assert.equal(
      await runCallingSettings(["callback-permission", "on"], {
        ...env,
        WHATSAPP_PHONE_NUMBER_ID: PNID,
      }, (l) => lines.push(l)),
      0,
    );
    assert.deepEqual(lines, [
      "callback_permission_status: DISABLED",
      "callback_permission_status: ENABLED",
    ]);
    assert.equal(await runCallingSettings(["callback-permission", "maybe"], env, () => {}), 2);
    const posted = graph.requests.filter((r) => r.action === "update_settings").map((r) => r.body);
    assert.deepEqual(posted.at(-1), { calling: { callback_permission_status: "ENABLED" } });
  } finally {
    await server.close();
  }
});
