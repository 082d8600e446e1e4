/**
 * The store as a call flow uses it while calls must not wait on the
 * database: each call gets a short deadline, and a write that fails or runs
 * out of time goes to a {@link DeferredSink} (a durable outbox) to be made
 * once the database is back, instead of failing the call. A caller must be
 * answered or rejected within 2 s whatever the store does, so one deadline
 * (default {@link DEFAULT_STORE_DEADLINE_MS}) is spent at most once per call:
 * after a failure every later write for that call goes straight to the sink,
 * which also keeps the call's writes in order (the outbox replays them
 * behind the ones already there, never ahead).
 *
 * `undefined` from a method means "deferred": the flow goes on without the
 * store's answer. Every event gets a `dedupeKey` (by default call id and
 * name) before its first attempt, so a write that timed out yet landed is
 * not recorded twice by the replay.
 *
 * @module
 */
import type { DeferredWrite } from "./deferred_write.ts";
import type {
  CallFields,
  CallRecord,
  CallStatus,
  CallUpsert,
  NewCallEvent,
  NewTranscript,
  Store,
  Transcript,
  TransitionResult,
} from "./store.ts";
import type { NewCallUsage } from "./usage.ts";

/** Deadline of one store call in a call flow. */
export const DEFAULT_STORE_DEADLINE_MS = 400;

/** Calls remembered as deferred; the oldest are forgotten beyond this. */
const MAX_DEFERRED_CALLS = 10_000;

/** Where deferred writes go: durable once `append` resolves. */
export interface DeferredSink {
  append(writes: readonly DeferredWrite[]): Promise<void>;
}

/** Options of {@link DeferringStore}. */
export interface DeferringStoreOptions {
  deadlineMs?: number;
  /** Told when a call's writes start being deferred, and why. */
  onDefer?: (callId: string, error: unknown) => void;
}

/** A store call that ran out of time. */
export class StoreDeadlineError extends Error {
  constructor(ms: number) {
    super(`store call took longer than ${ms} ms`);
    this.name = "StoreDeadlineError";
  }
}

/** Store writes and reads for a call flow that never wait more than a deadline. */
export class DeferringStore<Name extends string = string> {
  readonly #store: () => Promise<Store>;
  readonly #sink: DeferredSink;
  readonly #deadlineMs: number;
  readonly #onDefer: (callId: string, error: unknown) => void;
  readonly #deferred = new Set<string>();

  /** `store` may itself fail (the database cannot even be reached to open it). */
  constructor(
    store: () => Promise<Store>,
    sink: DeferredSink,
    options: DeferringStoreOptions = {},
  ) {
    this.#store = store;
    this.#sink = sink;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_STORE_DEADLINE_MS;
    this.#onDefer = options.onDefer ?? (() => {});
  }

  /** True once the call's writes go to the sink. */
  isDeferred(callId: string): boolean {
    return this.#deferred.has(callId);
  }

  /** Logs an event once per `dedupeKey`; deferred, it counts as inserted. */
  async recordEvent(event: NewCallEvent<Name>): Promise<{ inserted: boolean }> {
    const keyed = { ...event, dedupeKey: event.dedupeKey ?? `${event.callId}:${event.name}` };
    const r = await this.#attempt(
      event.callId,
      { op: "recordEvent", event: keyed },
      (s) => s.recordEvent(keyed),
    );
    return r ?? { inserted: true };
  }

  /** See {@linkcode Store.upsertCall}; `undefined` when deferred. */
  upsertCall(call: CallUpsert): Promise<CallRecord | undefined> {
    return this.#attempt(call.callId, { op: "upsertCall", call }, (s) => s.upsertCall(call));
  }

  /** Deferred only: on replay, inserts `call` where the call has no row yet. */
  async insertCallIfAbsent(call: CallUpsert): Promise<void> {
    await this.#attempt(call.callId, { op: "insertCallIfAbsent", call }, undefined);
  }

  /** See {@linkcode Store.transitionCall}; `undefined` when deferred. */
  transitionCall(
    callId: string,
    to: CallStatus,
    fields: CallFields = {},
    options: { from?: readonly CallStatus[]; keep?: readonly (keyof CallFields)[] } = {},
  ): Promise<TransitionResult | undefined> {
    const write: DeferredWrite = {
      op: "transitionCall",
      callId,
      to,
      fields,
      ...(options.from === undefined ? {} : { from: [...options.from] }),
      ...(options.keep === undefined ? {} : { keep: [...options.keep] }),
    };
    return this.#attempt(callId, write, (s) => s.transitionCall(callId, to, fields, options));
  }

  /** See {@linkcode Store.addTranscript}; `lineId` makes a replay safe. `undefined` when deferred. */
  addTranscript(line: NewTranscript & { lineId: string }): Promise<Transcript | undefined> {
    return this.#attempt(line.callId, { op: "addTranscript", line }, (s) => s.addTranscript(line));
  }

  /** See {@linkcode Store.addUsage}; `reportId` makes a replay safe. */
  async addUsage(usage: NewCallUsage & { reportId: string }): Promise<void> {
    await this.#attempt(usage.callId, { op: "addUsage", usage }, (s) => s.addUsage(usage));
  }

  /** The call, `null` when there is none, `undefined` when the store cannot say. */
  getCall(callId: string): Promise<CallRecord | null | undefined> {
    return this.#attempt(callId, undefined, (s) => s.getCall(callId));
  }

  /**
   * Runs `run` within the deadline unless the call is deferred; otherwise,
   * or when it fails, hands `write` to the sink. A sink failure propagates:
   * then the write is truly lost, and the caller must know.
   */
  async #attempt<T>(
    callId: string,
    write: DeferredWrite | undefined,
    run: ((store: Store) => Promise<T>) | undefined,
  ): Promise<T | undefined> {
    if (run !== undefined && !this.#deferred.has(callId)) {
      try {
        return await this.#withDeadline(async () => run(await this.#store()));
      } catch (error) {
        this.#markDeferred(callId);
        this.#onDefer(callId, error);
      }
    } else if (run === undefined) {
      this.#markDeferred(callId);
    }
    if (write !== undefined) await this.#sink.append([write]);
    return undefined;
  }

  #markDeferred(callId: string): void {
    this.#deferred.add(callId);
    if (this.#deferred.size > MAX_DEFERRED_CALLS) {
      this.#deferred.delete(this.#deferred.values().next().value!);
    }
  }

  async #withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreDeadlineError(this.#deadlineMs)), this.#deadlineMs);
    });
    const work = fn();
    work.catch(() => {}); // a late failure after the deadline is already handled
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
