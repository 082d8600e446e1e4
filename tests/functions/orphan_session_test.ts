import assert from "node:assert/strict";
import { newCallId, offerFor, withRig } from "./harness.ts";

Deno.test("bridge past its deadline: the function rejects, then has the bridge drop the call's session quietly", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = { kind: "delay", ms: 1800 };
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.equal(result?.reason, "bridge_timeout");
    assert.deepEqual(rig.graph.actionsFor(callId), ["reject"]);
    // No session id came back: the call id names what the bridge may still be making.
    const ends = rig.bridge.requestsTo("DELETE", "/calls/");
    assert.deepEqual(ends.map((r) => [r.path, r.body]), [
      [`/calls/${encodeURIComponent(callId)}`, { reason: "bridge_timeout" }],
    ]);
    assert.equal((await rig.store.getCall(callId))?.endReason, "bridge_timeout");
  }));

Deno.test("a bridge refusal leaves nothing to drop: no DELETE by call id", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = { kind: "status", status: 503, body: { error: "at capacity" } };
    const callId = newCallId();
    assert.equal((await rig.send(offerFor(callId)))[0]?.reason, "bridge_capacity");
    assert.deepEqual(rig.bridge.requestsTo("DELETE", "/calls/"), []);
  }));
