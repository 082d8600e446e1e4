import assert from "node:assert/strict";
import { buildTimeline, recordingOrigin } from "./call_timeline.ts";
import type { CallEvent, CallRecord, Transcript } from "../../store/store.ts";

// The shape of a real `deno task dev` + `deno task call` echo call (times as recorded).
const at = (iso: string) => new Date(`2026-12-07T07:43:${iso}Z`);
const call = {
  callId: "wacid.sim",
  offeredAt: at("17.727"),
  preAcceptedAt: at("17.846"),
  acceptedAt: at("17.999"),
  endedAt: at("22.000"),
  endReason: "meta_completed",
  createdAt: at("17.731"),
} as CallRecord;
let id = 0;
const event = (name: string, time: string, data: Record<string, unknown> = {}): CallEvent => ({
  id: ++id,
  callId: "wacid.sim",
  name,
  occurredAt: at(time),
  data: data as CallEvent["data"],
  dedupeKey: null,
  createdAt: at(time),
});
const events = [
  event("connect", "17.000"),
  event("bridge_session_started", "17.831"),
  event("bridge_accept", "18.005"),
  event("agent_greeting", "18.006", { kind: "chime" }),
  event("accepted", "18.007", { webhookToAcceptMs: 270 }),
  event("first_agent_audio", "18.029", { afterAcceptMs: 24.4 }),
  event("dtmf", "19.345", { digit: "1" }),
  event("turn_latency", "19.906", { ms: 520.2 }),
  event("terminate", "22.000", { status: "COMPLETED" }),
  event("bridge_session_ended", "22.020", {
    reason: "meta_terminate",
    timings: { accepted: 190, mediaConnected: 184, firstPacketSent: 191, firstCallerAudio: 217 },
  }),
];
const line = (speaker: "caller" | "agent", from: string, to: string, text: string): Transcript => ({
  id: ++id,
  callId: "wacid.sim",
  speaker,
  text,
  startedAt: at(from),
  endedAt: at(to),
  interrupted: false,
  createdAt: at(to),
});
const transcripts = [
  line("caller", "18.345", "19.885", "[1.0 s of speech]"),
  line("agent", "19.885", "20.925", "[echo of 1.0 s]"),
];

Deno.test("timeline: the recording starts at the session's first packet (bridge_accept − accepted + firstPacketSent)", () => {
  // 18.005 − 0.190 + 0.191 = 18.006
  assert.equal(recordingOrigin(call, events)?.toISOString(), "2026-12-07T07:43:18.006Z");
  // Without the session's timings: its first agent audio, else the accept.
  assert.equal(
    recordingOrigin(call, events.filter((e) => e.name !== "bridge_session_ended"))?.toISOString(),
    "2026-12-07T07:43:18.029Z",
  );
  assert.equal(recordingOrigin(call, [])?.toISOString(), call.acceptedAt!.toISOString());
});

Deno.test("timeline: webhook → pre_accept → accept → media → turns → keypad → hang-up, in order, from 0", () => {
  const entries = buildTimeline(call, events, transcripts);
  const labels = entries.map((e) => `${e.atMs} ${e.label}`);
  assert.deepEqual(labels, [
    "0 Webhook: Meta's connect received",
    "104 Bridge session started (SDP answer made)",
    "119 pre_accept sent (SDP answer)",
    "272 accept sent",
    "272 ICE + DTLS connected",
    "278 Bridge told to start media",
    "279 Agent greeting",
    "302 First agent audio on the wire",
    "305 First caller audio",
    "618 Caller spoke",
    "1618 Keypad: 1",
    "2158 Agent spoke",
    "2179 Agent answered",
    "4273 Meta: call terminated",
    "4273 Call ended",
    "4293 Bridge session ended",
  ]);
  assert.equal(entries.find((e) => e.label === "Agent answered")?.detail, "turn latency 520.2 ms");
});
