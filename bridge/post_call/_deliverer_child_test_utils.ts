/**
 * A bridge's deliverer alone in its own process, for the restart test to
 * kill with SIGKILL mid-delivery: `deno run -A _deliverer_child_test_utils.ts
 * <database url> <webhook url> <leaseMs>`, the secret in `CALL_WEBHOOK_SECRET`.
 *
 * @module
 */
import { openStore } from "../../store/open.ts";
import { WebhookDeliverer } from "./webhook_deliverer.ts";

if (import.meta.main) {
  const [databaseUrl, url, leaseMs] = Deno.args;
  const store = await openStore({ url: databaseUrl!, migrate: false });
  new WebhookDeliverer({
    store,
    url: url!,
    secret: Deno.env.get("CALL_WEBHOOK_SECRET")!,
    leaseMs: Number(leaseMs),
    requestTimeoutMs: 60_000,
    pollMs: 50,
  }).start();
  console.log("started");
}
