/**
 * Child process of recordings_test.ts: records a call through the real
 * file tap (2 s of caller 440 Hz and agent 1 kHz, both every frame), lets the
 * batches written so far reach the disk, adds more, then dies without closing
 * anything, as a crashed bridge would. Args: recordings dir, call id.
 *
 * @module
 */
import { OpusEncoder } from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";
import { startRecording } from "./recordings.ts";

const [dir, callId] = Deno.args;
const rec = startRecording({ enabled: true, dir: dir!, announcement: undefined }, callId!)!;
const enc = new OpusEncoder();
const caller = enc.encode(sine(440, 24000, 480, 8000));
const agent = new OpusEncoder().encode(sine(1000, 24000, 480, 8000));
for (let f = 0; f < 500; f++) {
  rec.agentPayload(agent, (1000 + f * 960) >>> 0);
  rec.callerPayload(caller, (77 + f * 960) >>> 0, (1000 + (f + 1) * 960) >>> 0);
  // Past the 1 s batch interval, the next record flushes everything before it.
  if (f === 400) await new Promise((r) => setTimeout(r, 1100));
  if (f === 401) await new Promise((r) => setTimeout(r, 100)); // that batch reaches the disk
}
Deno.exit(9); // no close(): whatever was still buffered is lost, as in a crash
