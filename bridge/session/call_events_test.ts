import assert from "node:assert/strict";
import { callLogger, eventLogger } from "../log.ts";
import type { CallLogEvent, CallRecordEvent, ManagerLogEvent } from "./call_events.ts";

Deno.test("call event names are string-literal unions: a misspelt name fails type check", () => {
  const call = callLogger<CallLogEvent>("wacid.typed", "session");
  call.info("VOICE_BRIDGE_SESSION_ENDED");
  // @ts-expect-error: typo
  call.info("VOICE_BRIDGE_SESION_ENDED");
  const manager = eventLogger<ManagerLogEvent>("sessions");
  manager.info("VOICE_BRIDGE_DRAINING");
  // @ts-expect-error: a call event is not the manager's
  manager.info("VOICE_BRIDGE_SESSION_ENDED");
  const recorded: CallRecordEvent[] = ["bridge_session_ended", "meta_status_ringing"];
  // @ts-expect-error: typo
  recorded.push("bridge_sesion_ended");
  // @ts-expect-error: Meta has no such status
  recorded.push("meta_status_busy");
  assert.equal(recorded.length, 4);
});
