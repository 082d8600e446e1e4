import assert from "node:assert/strict";
import type { CallFlowDeps } from "../../supabase/functions/wa-webhook-voice-calls/call_flow.ts";
import { functionLogger } from "../../supabase/functions/_shared/log.ts";
import { callStatus } from "../../simulator/meta_webhooks.ts";
import { newCallId, nowSec, withRig } from "./harness.ts";

// Type checks, never run: each `@ts-expect-error` fails `deno test` once a misspelt name compiles.
function _misspeltNamesDoNotCompile(store: CallFlowDeps["store"]): void {
  // @ts-expect-error a call event the flow does not record
  void store.recordEvent({ callId: "wacid.x", name: "conect" });
  // @ts-expect-error a log event the functions do not know
  functionLogger("wa-webhook-core").info("WA_WEBHOOK_RECIEVED");
}

Deno.test("each business-initiated status keeps its recorded name", () =>
  withRig(async (rig) => {
    const names = {
      RINGING: "status_ringing",
      ACCEPTED: "status_accepted",
      REJECTED: "status_rejected",
    } as const;
    for (const [status, name] of Object.entries(names) as [keyof typeof names, string][]) {
      const callId = newCallId();
      await rig.send(callStatus({ callId, status, user: "16315553602", timestamp: nowSec() }));
      assert.deepEqual((await rig.store.listEvents(callId)).map((e) => e.name), [name]);
    }
  }));
