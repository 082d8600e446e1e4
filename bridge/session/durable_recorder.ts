/**
 * The bridge's call records kept through a database outage: each write gets
 * a deadline, and one that fails or runs out of time goes to the bridge's
 * durable outbox, with every later write for that call behind it, for the
 * flusher to make once the database is back (see `store/deferring_store.ts`).
 *
 * A call's writes are made one after another, in the order the session made
 * them: otherwise a write still waiting for its deadline could be overtaken
 * by a later one that reaches the database, or the outbox, first (and a
 * transcript line needs its call row). Each write gets an id before its first
 * attempt (an event's `dedupeKey`, a line's `lineId`, a usage report's
 * `reportId`), so a write that timed out yet landed is not made twice when
 * the outbox replays it.
 *
 * @module
 */
import {
  type DeferredSink,
  DeferringStore,
  type DeferringStoreOptions,
} from "../../store/deferring_store.ts";
import type {
  CallFields,
  CallRecord,
  CallStatus,
  CallUpsert,
  NewCallEvent,
  NewTranscript,
  Store,
  TransitionResult,
} from "../../store/store.ts";
import type { NewCallUsage } from "../../store/usage.ts";
import { callLogger } from "../log.ts";
import type { SessionRecorder } from "./session_deps.ts";

/** Deadline of one record write: the session never waits on it, so it can be generous. */
export const DEFAULT_RECORD_DEADLINE_MS = 2000;

/** Log events of the recorder. */
export type DurableRecorderLogEvent =
  /** The call's writes now go to the outbox, made once the database is back. */
  "CALL_RECORD_DEFERRED";

/** Options of {@link DurableRecorder}. */
export interface DurableRecorderOptions extends DeferringStoreOptions {
  /** Ids of writes; default random UUIDs. */
  newId?: () => string;
}

/** A {@link SessionRecorder} that loses no write while the database is down. */
export class DurableRecorder implements SessionRecorder {
  readonly #store: DeferringStore;
  readonly #newId: () => string;
  /** The last write queued per call; removed once it settles with nothing behind it. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Writes to `store`, or to `sink` while it fails. */
  constructor(
    store: () => Promise<Store>,
    sink: DeferredSink,
    options: DurableRecorderOptions = {},
  ) {
    this.#store = new DeferringStore(store, sink, {
      deadlineMs: options.deadlineMs ?? DEFAULT_RECORD_DEADLINE_MS,
      onDefer: options.onDefer ??
        ((callId, error) =>
          callLogger<DurableRecorderLogEvent>(callId, "recorder")
            .warn("CALL_RECORD_DEFERRED", { error: String(error) })),
    });
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** See {@linkcode Store.recordEvent}; each event is its own (a name may recur). */
  recordEvent(event: NewCallEvent): Promise<{ inserted: boolean }> {
    const keyed = { ...event, dedupeKey: event.dedupeKey ?? `${event.callId}:${this.#newId()}` };
    return this.#inOrder(event.callId, () => this.#store.recordEvent(keyed));
  }

  /** See {@linkcode Store.addTranscript}; resolves once stored or kept in the outbox. */
  async addTranscript(line: NewTranscript): Promise<void> {
    const keyed = { ...line, lineId: line.lineId ?? this.#newId() };
    await this.#inOrder(line.callId, () => this.#store.addTranscript(keyed));
  }

  /** See {@linkcode Store.addUsage}; a replayed report is counted once. */
  addUsage(usage: NewCallUsage): Promise<void> {
    const keyed = { ...usage, reportId: usage.reportId ?? this.#newId() };
    return this.#inOrder(usage.callId, () => this.#store.addUsage(keyed));
  }

  /** See {@linkcode Store.upsertCall}; `undefined` when deferred. */
  upsertCall(call: CallUpsert): Promise<CallRecord | undefined> {
    return this.#inOrder(call.callId, () => this.#store.upsertCall(call));
  }

  /**
   * See {@linkcode Store.transitionCall}. Deferred, it has not applied (yet)
   * and the call is unknown (`null`): a caller that falls back on another
   * write when a transition does not apply queues it behind the transition,
   * which the replay then makes as it would have been made live.
   */
  async transitionCall(
    callId: string,
    to: CallStatus,
    fields: CallFields = {},
    options: { from?: readonly CallStatus[]; keep?: readonly (keyof CallFields)[] } = {},
  ): Promise<TransitionResult> {
    const result = await this.#inOrder(
      callId,
      () => this.#store.transitionCall(callId, to, fields, options),
    );
    return result ?? { applied: false, call: null };
  }

  /** Runs `write` after the call's earlier writes have settled. */
  #inOrder<T>(callId: string, write: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(callId) ?? Promise.resolve()).then(write);
    const tail = run.catch(() => {});
    this.#tails.set(callId, tail);
    void tail.then(() => {
      if (this.#tails.get(callId) === tail) this.#tails.delete(callId);
    });
    return run;
  }
}
