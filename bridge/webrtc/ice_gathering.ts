/**
 * The relay part of a call's ICE gathering, bounded in time.
 *
 * Why: Meta takes no trickled candidates, so the answer waits for gathering, and
 * the Edge Function waits at most 1.5 s for the answer. Left to werift, a
 * TURN server that does not answer holds gathering for its whole connect
 * timeout (8 s) or its UDP retransmissions (6.4 s), the answer misses the
 * deadline, and the call is rejected even when host candidates would have
 * worked. werift also uses only the first TURN URL, and logs a failure at
 * debug level only.
 *
 * So the bridge gives werift no TURN server. {@linkcode RelayGathering}
 * allocates the relay itself (`bridge/network/turn_probe.ts`, werift's own
 * TURN client) from the moment the offer arrives, trying the servers in the
 * {@linkcode IceServerPicker}'s order within one budget
 * (`ICE_GATHER_TIMEOUT_MS`), and joins werift's gathering
 * ({@linkcode RelayGathering.joinGathering}): the relay candidate is added
 * exactly as werift adds its own, so it is in the answer and in the check
 * list. When the budget runs out the answer goes with what was gathered.
 *
 * Upstream fix: werift bounding each TURN attempt by a gathering deadline,
 * trying every TURN URL in order, and reporting failed allocations as
 * events; then the bridge hands werift its TURN servers again.
 *
 * @module
 */
import { Candidate, candidateFoundation, candidatePriority, type RTCPeerConnection } from "werift";
import type { IceServerPicker, TurnServer } from "../network/ice_servers.ts";
import {
  allocateTurn,
  type TurnAllocation,
  type TurnProbeFailure,
  type TurnProbeOk,
  type TurnTlsOptions,
} from "../network/turn_probe.ts";
import type { EventLogger, ProcessLogEvent } from "../log.ts";
import type { ConnectionInternals } from "./werift_internals.ts";

/** How the relay part of one call's gathering ended. */
export type RelayOutcome =
  /** No TURN server configured. */
  | { kind: "none" }
  /** A relay candidate is in the answer; `failures` are the servers tried before it. */
  | { kind: "relay"; result: TurnProbeOk; failures: TurnProbeFailure[] }
  /** Every server tried failed, or the budget ran out: no relay candidate. */
  | { kind: "failed"; failures: TurnProbeFailure[] };

/** The settings of every call's relay gathering. */
export interface RelayGatheringOptions {
  picker: IceServerPicker;
  /** The budget, from the offer's arrival to the last relay attempt's end. */
  budgetMs: number;
  tlsOptions?: TurnTlsOptions | undefined;
  portRange?: [number, number] | undefined;
}

/**
 * werift's ICE `Connection`, as far as joining its gathering needs (private in
 * its typings). Its `protocols` also hold relays, which have no host socket
 * (`transport`): readers check `type === "stun"` first (media_fast_path.ts).
 */
type GatheringConnection =
  & Pick<
    ConnectionInternals,
    | "generation"
    | "localUsername"
    | "getCandidatePromises"
    | "ensureProtocol"
    | "appendLocalCandidate"
  >
  & { protocols: unknown[] };

type Relay = NonNullable<TurnAllocation["relay"]>;

/**
 * One call's relay allocation: started at once by the constructor, joined to
 * the peer connection's gathering before `setLocalDescription`.
 */
export class RelayGathering {
  /** Resolves when the attempts end: a relay, failures, or the budget spent. */
  readonly outcome: Promise<RelayOutcome>;
  #relay: Promise<Relay | undefined>;
  #claimed = false;

  /** Starts allocating on the picker's servers, in its order, within `budgetMs`. */
  constructor(options: RelayGatheringOptions) {
    const attempts = allocateInTurn(options);
    this.outcome = attempts.then((a) => a.outcome);
    this.#relay = attempts.then((a) => a.relay);
  }

  /**
   * Makes werift's gathering on `pc` wait for this allocation (never past the
   * budget) and add its relay candidate the way werift adds its own. Call
   * after `setRemoteDescription` (the ICE transport exists) and before
   * `setLocalDescription` (which gathers).
   */
  joinGathering(pc: RTCPeerConnection): void {
    const connection = pc.iceTransports[0]?.connection as unknown as
      | GatheringConnection
      | undefined;
    // werift_patches.ts checked at start-up that werift still has these members.
    if (!connection) throw new Error("werift created no ICE connection for the offer");
    const gather = connection.getCandidatePromises.bind(connection);
    let joined = false;
    connection.getCandidatePromises = (addresses, timeout) => {
      const promises = gather(addresses, timeout);
      // An ICE restart gathers again; the relay joins the first gathering only.
      if (joined) return promises;
      joined = true;
      this.#claimed = true;
      return [...promises, this.#relay.then((relay) => relay && addRelay(connection, relay))];
    };
  }

  /** The answer failed before gathering: a relay that arrives goes unused and is released. */
  abandon(): void {
    if (this.#claimed) return;
    this.#claimed = true;
    void this.#relay.then((relay) => relay?.close()).catch(() => {});
  }
}

/** Adds `relay` to `connection` exactly as werift's `getCandidatePromises` adds its TURN candidate. */
function addRelay(connection: GatheringConnection, relay: Relay): Candidate {
  const [host, port] = relay.turn.relayedAddress;
  const [relatedHost, relatedPort] = relay.turn.mappedAddress;
  connection.ensureProtocol(relay);
  connection.protocols.push(relay);
  const candidate = new Candidate(
    candidateFoundation("relay", "udp", host),
    1,
    "udp",
    candidatePriority("relay"),
    host,
    port,
    "relay",
    relatedHost,
    relatedPort,
    undefined,
    connection.generation,
    connection.localUsername,
  );
  relay.localCandidate = candidate;
  connection.appendLocalCandidate(candidate);
  return candidate;
}

/** Below this much budget left, a further server is not worth starting. */
const MIN_ATTEMPT_MS = 50;

/**
 * Tries the picker's TURN servers one after another until one allocates or
 * the budget is spent. A server that fails is marked failed, so the next call
 * starts with the next one; one that allocates is marked usable. A timeout on
 * an attempt that got less than half the budget (others went first) says
 * little about that server, so it is not held against it.
 */
async function allocateInTurn(
  options: RelayGatheringOptions,
): Promise<{ outcome: RelayOutcome; relay?: Relay | undefined }> {
  const { picker, budgetMs } = options;
  const servers: TurnServer[] = picker.pick().turn;
  if (servers.length === 0) return { outcome: { kind: "none" } };
  const deadline = performance.now() + budgetMs;
  const failures: TurnProbeFailure[] = [];
  for (const server of servers) {
    const timeoutMs = Math.floor(deadline - performance.now());
    if (failures.length > 0 && timeoutMs < MIN_ATTEMPT_MS) break;
    const { result, relay } = await allocateTurn(server, {
      timeoutMs: Math.max(1, timeoutMs),
      tlsOptions: options.tlsOptions,
      portRange: options.portRange,
    });
    if (result.ok) {
      picker.markUsable(server);
      return { outcome: { kind: "relay", result, failures }, relay };
    }
    failures.push(result);
    if (result.cause !== "timeout" || timeoutMs >= budgetMs / 2) {
      picker.markFailed(server, result.cause);
    }
  }
  return { outcome: { kind: "failed", failures } };
}

/**
 * Logs one call's relay outcome: nothing when a relay came from the first
 * server tried, one warning when it came from a later one, and one error
 * (`WEBRTC_TURN_ALLOCATION_FAILED`) when the answer has no relay candidate.
 * `server` is the first server tried, as a display URL: never credentials.
 */
export function logRelayOutcome(log: EventLogger<ProcessLogEvent>, outcome: RelayOutcome): void {
  if (outcome.kind === "none") return;
  const [first, ...rest] = outcome.failures;
  if (!first) return;
  const fields = {
    server: first.url,
    transport: first.transport,
    cause: first.cause,
    message: first.message,
    ms: first.ms,
    ...(rest.length > 0
      ? { alsoFailed: rest.map((f) => ({ server: f.url, cause: f.cause, message: f.message })) }
      : {}),
  };
  if (outcome.kind === "failed") log.error("WEBRTC_TURN_ALLOCATION_FAILED", fields);
  else log.warn("WEBRTC_TURN_SERVER_SKIPPED", { ...fields, usedServer: outcome.result.url });
}
