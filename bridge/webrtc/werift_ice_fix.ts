/**
 * Why: werift 0.25.2 sends each ICE connectivity check 5 times (50, 100,
 * 200, 400 and 800 ms apart) and then marks the pair failed for good. A
 * full-ICE peer would revive it with a check of its own (a triggered check),
 * but Meta's relay is ICE-lite and never sends one. So any 1.55 s without an
 * answer to our checks (a lost burst, a relay that only answers once it has
 * processed `pre_accept`, a stalled process) failed every pair, and the call
 * stayed unconnected until the media timeout hung it up. libwebrtc instead
 * keeps pinging a pair until it has been silent for far longer. Here the
 * peer restarts the checks of failed, idle pairs at a steady cadence until
 * the agent nominates a pair or closes; werift's `connect()` waits for a
 * completed check list even after a failed one, so the first check answered
 * after the outage connects the call as usual.
 *
 * Upstream fix: werift's ICE agent retrying failed pairs while none is
 * nominated (or a configurable check timeout); with that, this file goes.
 *
 * @module
 */
import { CandidatePairState, type RTCPeerConnection } from "werift";
import type { CandidatePairInternals, ConnectionInternals } from "./werift_internals.ts";

type CheckedPair = Pick<CandidatePairInternals, "state" | "handle" | "updateState">;

/** The part of a werift ICE `Connection` a recheck reads and drives. */
export type CheckList = Pick<ConnectionInternals, "state"> & {
  nominated?: unknown;
  checkList: CheckedPair[];
  checkStart(pair: CheckedPair): unknown;
};

/**
 * Restarts the check of every failed pair that has no check in flight, unless
 * the agent has nominated a pair or closed. Returns how many it restarted.
 */
export function recheckFailedPairs(connection: CheckList): number {
  if (connection.nominated || connection.state === "closed") return 0;
  let restarted = 0;
  for (const pair of connection.checkList) {
    // werift clears `handle` once a check has run to its end.
    if (pair.state !== CandidatePairState.FAILED || pair.handle !== undefined) continue;
    pair.updateState(CandidatePairState.WAITING);
    pair.handle = connection.checkStart(pair);
    restarted++;
  }
  return restarted;
}

/**
 * Rechecks `pc`'s failed pairs every `intervalMs` until its agents nominate a
 * pair or close, or the returned function is called. Counts restarts in
 * `stats.rechecks` for tests and logs.
 */
export function keepCheckingUntilNominated(
  pc: RTCPeerConnection,
  intervalMs = 500,
): { stop(): void; stats: { rechecks: number } } {
  const stats = { rechecks: 0 };
  const connections = () =>
    pc.iceTransports.map((t) => t.connection as unknown as ConnectionInternals);
  const timer = setInterval(() => {
    const open = connections().filter((c) => !c.nominated && c.state !== "closed");
    if (open.length === 0) return clearInterval(timer);
    for (const c of open) stats.rechecks += recheckFailedPairs(c);
  }, intervalMs);
  return { stop: () => clearInterval(timer), stats };
}
