/**
 * A session manager on a manual clock whose media peers answer only when the
 * test says so: for admission and orphan tests, where creation must stall.
 *
 * @module
 */
import type { CallRecord, CallUpsert, NewCallEvent } from "../../store/store.ts";
import { ManualScheduler } from "../../bridge/media/fake_scheduler.ts";
import type { SessionRecorder } from "../../bridge/session/session_deps.ts";
import { SessionManager } from "../../bridge/session/session_manager.ts";
import { FakeAgent, FakePeer, FakeTerminator } from "./session_fakes.ts";

/** One turn of the event loop: pending promise callbacks run. */
export const tick = (): Promise<unknown> => new Promise((r) => setTimeout(r, 0));

/** What a session wrote to the store. */
export class RecordingStore implements SessionRecorder {
  readonly events: string[] = [];
  readonly calls: CallUpsert[] = [];
  recordEvent(e: NewCallEvent) {
    this.events.push(e.name);
    return Promise.resolve({ inserted: true });
  }
  addTranscript(): never {
    throw new Error("no transcript in these tests");
  }
  upsertCall(fields: CallUpsert) {
    this.calls.push(fields);
    // Only the call id is read back, and only by the function.
    return Promise.resolve({ callId: fields.callId } as CallRecord);
  }
}

/**
 * A manager whose peers answer only when the test calls `answerAll` (a
 * stalled werift), recording what reaches Meta and the store.
 */
export function stalledManager(maxSessions = 10) {
  const scheduler = new ManualScheduler();
  const terminator = new FakeTerminator();
  const store = new RecordingStore();
  const peers: FakePeer[] = [];
  const waiting: Array<(ok: boolean) => void> = [];
  const manager = new SessionManager({
    maxSessions,
    maxCpuPercent: 0,
    cpuPercent: () => 0,
    deps: {
      createPeer: () =>
        new Promise((resolve, reject) => {
          const peer = new FakePeer(scheduler);
          peers.push(peer);
          waiting.push((ok) => ok ? resolve(peer) : reject(new Error("werift: no ports")));
        }),
      createAgent: () => new FakeAgent(),
      terminator,
      recorder: store,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 3_600_000,
      callerSilenceTimeoutMs: 0,
    },
  });
  /** Every peer asked for so far answers (or fails, `ok` false). */
  const answerAll = async (ok = true) => {
    for (const answer of waiting.splice(0)) answer(ok);
    await tick();
  };
  return { scheduler, manager, terminator, store, peers, answerAll };
}
