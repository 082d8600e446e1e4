/**
 * The dialer: a worker in each bridge process that claims due campaign and
 * callback recipients from Postgres (lease + `FOR UPDATE SKIP LOCKED`, the
 * concurrency limit counted in the database across every bridge), checks
 * the recipient's permission, places the call through {@linkcode CallPlacer}
 * and records the outcome when the call's `voice_calls` row ends. Every loop
 * is bounded; the clock is injected so windows and retries are testable.
 *
 * @module
 */
import { isOpen } from "../../lib/agent_settings/call_hours.ts";
import {
  META_PERMISSION_LIMITS,
  permissionDecision,
  type PermissionLimits,
} from "../../lib/whatsapp/call_permission_decision.ts";
import type { RecipientOutcome } from "../../lib/campaigns/schema.ts";
import type { Campaign, ClaimedRecipient } from "../../store/campaigns.ts";
import type { Store } from "../../store/store.ts";
import type { CallPlacer, PlaceResult } from "./placer.ts";
import { callOutcome } from "./outcome.ts";
import { sweepCallbacks } from "./callback_sweep.ts";

/** The store surface the dialer uses. */
export type DialerStore = Pick<
  Store,
  | "listDialableCampaigns"
  | "claimRecipients"
  | "recordAttemptCall"
  | "renewLease"
  | "finishAttempt"
  | "releaseRecipient"
  | "readCallPermission"
  | "getCall"
  | "getAgentSettings"
  | "listCallbackCandidates"
  | "enqueueCallback"
>;

/** Said and followed on a callback when the number's settings give no purpose. */
export const CALLBACK_PURPOSE = {
  instructions:
    "You are calling back a customer whose call to this business could not be answered. " +
    "Apologise briefly and ask how you can help.",
  greeting: "Hello, you called us earlier and we could not answer. How can we help you?",
};

/** A structured logger (LogTape's shape). */
export interface DialerLog {
  info(event: string, props?: Record<string, unknown>): void;
  warn(event: string, props?: Record<string, unknown>): void;
}

/** Options of {@linkcode Dialer}. */
export interface DialerOptions {
  store: DialerStore;
  placer: CallPlacer;
  /** This dialer's lease owner name (bridge id + random). */
  owner: string;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Between claim rounds. @default 2000 */
  pollMs?: number;
  /** Lease length; renewed every third of it while a call lasts. @default 60000 */
  leaseMs?: number;
  /** Between reads of a live call's row. @default 500 */
  callPollMs?: number;
  /** Longest a call is watched (ring bound + longest call + margin). @default 75 min */
  watchMs?: number;
  /**
   * How long a call Meta ended before pickup (`not_answered`) is watched on
   * for Meta's `REJECTED`, which may arrive after the terminate. @default 3000
   */
  rejectSettleMs?: number;
  /** Calls this dialer holds at once (the campaign's own limit is counted in the database). */
  maxInFlight?: number;
  /** Whether this bridge can take another call now (callbacks wait for capacity). */
  hasCapacity?: () => boolean;
  limits?: PermissionLimits;
  log?: DialerLog;
  /** Queue callbacks for missed callers. @default true */
  callbacks?: boolean;
  /** Between two callback sweeps (each reads the permission of every candidate). @default 30000 */
  callbackSweepMs?: number;
}

const quiet: DialerLog = { info() {}, warn() {} };

/** Claims and dials; {@linkcode Dialer.start} loops, {@linkcode Dialer.tick} is one round. */
export class Dialer {
  readonly #o: Required<Omit<DialerOptions, "hasCapacity">> & Pick<DialerOptions, "hasCapacity">;
  readonly #inFlight = new Map<number, Promise<void>>();
  #stopped = false;
  #nextSweep = -Infinity;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(o: DialerOptions) {
    this.#o = {
      clock: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      pollMs: 2000,
      leaseMs: 60_000,
      callPollMs: 500,
      watchMs: 75 * 60_000,
      rejectSettleMs: 3_000,
      maxInFlight: 50,
      limits: META_PERMISSION_LIMITS,
      log: quiet,
      callbacks: true,
      callbackSweepMs: 30_000,
      ...o,
    };
  }

  /** Placements this dialer took over from a lapsed lease. */
  resumed = 0;

  /** Calls this dialer is placing or watching. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when every call this dialer holds has ended and been recorded. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Starts the loop (claim rounds every `pollMs` until {@linkcode Dialer.stop}). */
  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopped) {
        try {
          await this.tick();
        } catch (error) {
          this.#o.log.warn("DIALER_TICK_FAILED", { error: String(error) });
        }
        await Promise.race([
          this.#o.sleep(this.#o.pollMs),
          new Promise<void>((r) => this.#wake = r),
        ]);
      }
    })();
  }

  /**
   * Stops claiming. With `drain` it waits for the calls it holds to end and
   * records them; without, it walks away (as a crash would) and its leases lapse.
   */
  async stop(drain = true): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (drain) await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** One claim round over every dialable campaign; returns how many recipients it claimed. */
  async tick(): Promise<number> {
    const now = new Date(this.#o.clock());
    if (this.#o.callbacks && now.getTime() >= this.#nextSweep) {
      this.#nextSweep = now.getTime() + this.#o.callbackSweepMs;
      const queued = await sweepCallbacks(this.#o.store, now.getTime(), { limits: this.#o.limits });
      if (queued > 0) this.#o.log.info("DIALER_CALLBACKS_QUEUED", { count: queued });
    }
    let claimed = 0;
    for (const campaign of await this.#o.store.listDialableCampaigns(now)) {
      if (this.#stopped) break;
      const room = this.#o.maxInFlight - this.#inFlight.size;
      if (room <= 0) break;
      if (!await this.#mayDial(campaign, now)) continue;
      const got = await this.#o.store.claimRecipients(campaign.id, {
        owner: this.#o.owner,
        now,
        leaseMs: this.#o.leaseMs,
        max: room,
      });
      for (const c of got) {
        if (c.resumed) this.resumed++;
        const run = this.#dial(c).catch((error) => {
          this.#o.log.warn("DIALER_RECIPIENT_FAILED", {
            recipientId: c.recipient.id,
            error: String(error),
          });
        }).finally(() => this.#inFlight.delete(c.recipient.id));
        this.#inFlight.set(c.recipient.id, run);
      }
      claimed += got.length;
    }
    return claimed;
  }

  /** Within the window (campaign) or the number's call hours and free capacity (callbacks). */
  async #mayDial(campaign: Campaign, now: Date): Promise<boolean> {
    if (campaign.kind === "campaign") return isOpen(campaign.window ?? undefined, now);
    if (this.#o.hasCapacity && !this.#o.hasCapacity()) return false;
    const settings = await this.#o.store.getAgentSettings(campaign.phoneNumberId);
    return isOpen(settings?.settings.callHours, now);
  }

  async #dial(c: ClaimedRecipient): Promise<void> {
    const { store, log } = this.#o;
    const r = c.recipient;
    const pair = { phoneNumberId: c.campaign.phoneNumberId, user: r.user };
    let callId = c.resumed ? r.callId : null;
    if (callId === null) {
      // A resumed placement skips the check: its key's first answer is what counts.
      if (!c.resumed) {
        const now = this.#o.clock();
        const state = await store.readCallPermission(pair, now);
        const d = permissionDecision(state, "call", now, this.#o.limits);
        if (!d.allowed && d.reason !== "call_limit") {
          await this.#finish(c, "no_permission", d.reason);
          return;
        }
        if (!d.allowed) {
          await store.releaseRecipient(
            r.id,
            this.#o.owner,
            new Date(d.retryAt ?? now + 3_600_000),
            d.reason,
          );
          return;
        }
      }
      const result = await this.#o.placer.place({
        phoneNumberId: c.campaign.phoneNumberId,
        user: r.user,
        purpose: this.#purpose(c),
        idempotencyKey: c.idempotencyKey,
        bizOpaqueCallbackData: `campaign:${c.campaign.id}:${r.id}:${r.dialSeq}`,
      });
      callId = await this.#applyPlaceResult(c, result);
      if (callId === null) return;
    }
    log.info("DIALER_CALL_PLACED", {
      callId,
      recipientId: r.id,
      attempt: r.attempts,
      resumed: c.resumed,
    });
    const outcome = await this.#watch(c, callId);
    if (outcome !== undefined) await this.#finish(c, outcome, null, callId);
  }

  #purpose(c: ClaimedRecipient) {
    const base = c.campaign.purpose ??
      (c.campaign.kind === "callbacks" ? CALLBACK_PURPOSE : undefined);
    if (base === undefined) return undefined;
    const { variables: _ignored, ...rest } = base as typeof base & { variables?: unknown };
    return Object.keys(c.recipient.variables).length > 0
      ? { ...rest, variables: c.recipient.variables }
      : rest;
  }

  /** The call id to watch, or null when the placement ended here. */
  async #applyPlaceResult(c: ClaimedRecipient, result: PlaceResult): Promise<string | null> {
    const now = this.#o.clock();
    switch (result.kind) {
      case "placed":
        await this.#o.store.recordAttemptCall(c, this.#o.owner, result.callId, new Date(now));
        return result.callId;
      case "no_permission":
      case "failed":
        await this.#finish(c, result.kind, result.detail);
        return null;
      case "later":
        await this.#o.store.releaseRecipient(
          c.recipient.id,
          this.#o.owner,
          new Date(result.retryAt ?? now + 60_000),
          result.detail,
        );
        return null;
      case "unsure":
        // Holding on would be guessing: the lease lapses and a dialer retries the same key.
        this.#o.log.warn("DIALER_PLACE_UNSURE", {
          recipientId: c.recipient.id,
          detail: result.detail,
        });
        return null;
    }
  }

  /** Reads the call until it ends (bounded), renewing the lease; undefined when the lease was lost. */
  async #watch(c: ClaimedRecipient, callId: string): Promise<RecipientOutcome | undefined> {
    const o = this.#o;
    const deadline = o.clock() + o.watchMs;
    let renewAt = o.clock() + o.leaseMs / 3;
    let settleUntil: number | undefined;
    while (o.clock() < deadline) {
      const call = await o.store.getCall(callId);
      const outcome = call ? callOutcome(call) : undefined;
      // Meta's webhooks are unordered: a terminate without pickup may come before REJECTED.
      if (outcome === "no_answer" && call?.endReason === "not_answered") {
        settleUntil ??= o.clock() + o.rejectSettleMs;
      }
      if (outcome !== undefined && (settleUntil === undefined || o.clock() >= settleUntil)) {
        return outcome;
      }
      if (this.#stopped && this.#abandoned) return undefined;
      if (o.clock() >= renewAt) {
        renewAt = o.clock() + o.leaseMs / 3;
        if (!await o.store.renewLease(c.recipient.id, o.owner, new Date(o.clock() + o.leaseMs))) {
          return undefined;
        }
      }
      await o.sleep(o.callPollMs);
    }
    return "failed";
  }

  #abandoned = false;

  /** Stops as a crash would: nothing more is claimed, watched or recorded. */
  async abandon(): Promise<void> {
    this.#abandoned = true;
    await this.stop(false);
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  async #finish(
    c: ClaimedRecipient,
    outcome: RecipientOutcome,
    detail: string | null,
    callId?: string,
  ) {
    if (this.#abandoned) return;
    const ok = await this.#o.store.finishAttempt(
      c.recipient.id,
      this.#o.owner,
      outcome,
      new Date(this.#o.clock()),
      detail ?? undefined,
    );
    this.#o.log.info("DIALER_ATTEMPT_ENDED", {
      callId: callId ?? null,
      recipientId: c.recipient.id,
      outcome,
      recorded: ok,
    });
  }
}
