/**
 * A placer for dialer tests that behaves as `wa-outbound-calls` + Meta + the
 * user's phone would, in process, over a store: the Idempotency-Key is
 * reserved in `wa_outbound_call_requests` (a repeated key replays the first
 * call and rings nothing), the permission is checked with the decision
 * function, and the phone answers, rejects or does not answer as scripted,
 * writing the call's `voice_calls` row as the webhooks would. It counts rings
 * per user and the calls ringing at once.
 *
 * @module
 */
import { permissionDecision } from "../../lib/whatsapp/call_permission_decision.ts";
import type { CallPlacer, Placement, PlaceResult } from "../../bridge/dialer/placer.ts";
import type { Store } from "../../store/store.ts";

/**
 * How a scripted phone behaves. `reject_late`: the user declines, and Meta's
 * terminate (ended before pickup) arrives before its `REJECTED`.
 */
export type Answer = "accept" | "reject" | "reject_late" | "none";

/** The fake and what it saw. */
export class FakeMetaPlacer implements CallPlacer {
  /** Rings per user (a replayed key rings nothing). */
  readonly rings = new Map<string, number>();
  /** Keys replayed to a resuming dialer. */
  replays = 0;
  /** Calls ringing or talking now, and the most at once. */
  live = 0;
  maxLive = 0;
  /** Every placement's purpose, by user. */
  readonly purposes = new Map<string, unknown>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #seq = 0;

  constructor(
    readonly store: Store,
    readonly script: (user: string) => Answer,
    readonly timing = { ringMs: 80, talkMs: 60 },
  ) {}

  async place(p: Placement): Promise<PlaceResult> {
    const r = await this.store.reserveOutboundCall({
      phoneNumberId: p.phoneNumberId,
      idempotencyKey: p.idempotencyKey,
      requestHash: "h",
      user: p.user,
    });
    if (r.kind === "existing") {
      if (r.request.status !== "placed" || r.request.callId === null) {
        return { kind: "unsure", detail: `key ${r.request.status}` };
      }
      this.replays++;
      return { kind: "placed", callId: r.request.callId };
    }
    const now = Date.now();
    const state = await this.store.readCallPermission(
      { phoneNumberId: p.phoneNumberId, user: p.user },
      now,
    );
    const d = permissionDecision(state, "call", now);
    if (!d.allowed) {
      await this.store.completeOutboundCall(r.request.id, { status: "refused", response: {} });
      return { kind: "no_permission", detail: d.reason };
    }
    const callId = `wacid.FAKE${++this.#seq}${crypto.randomUUID().slice(0, 8)}`;
    await this.store.upsertCall({
      callId,
      status: "ringing",
      direction: "business_initiated",
      toNumber: p.user,
      phoneNumberId: p.phoneNumberId,
      bizOpaqueCallbackData: p.bizOpaqueCallbackData,
    });
    await this.store.completeOutboundCall(r.request.id, { status: "placed", callId, response: {} });
    this.rings.set(p.user, (this.rings.get(p.user) ?? 0) + 1);
    this.purposes.set(p.user, p.purpose);
    this.live++;
    this.maxLive = Math.max(this.maxLive, this.live);
    this.#after(this.timing.ringMs, () => this.#ringEnds(callId, this.script(p.user)));
    return { kind: "placed", callId };
  }

  async #ringEnds(callId: string, answer: Answer): Promise<void> {
    const ended = new Date();
    if (answer === "accept") {
      await this.store.transitionCall(callId, "accepted", { acceptedAt: ended });
      this.#after(this.timing.talkMs, async () => {
        await this.store.transitionCall(callId, "completed", {
          endedAt: new Date(),
          durationSeconds: 1,
          endReason: "meta_completed",
        });
        this.live--;
      });
      return;
    }
    if (answer === "reject_late") {
      await this.store.transitionCall(callId, "failed", {
        endedAt: ended,
        endReason: "not_answered",
      });
      this.#after(this.timing.ringMs, async () => {
        await this.store.transitionCall(callId, "rejected", { endReason: "rejected" });
      });
      this.live--;
      return;
    }
    await this.store.transitionCall(callId, answer === "reject" ? "rejected" : "failed", {
      endedAt: ended,
      endReason: answer === "reject" ? "rejected" : "no_answer",
    });
    this.live--;
  }

  #after(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn().catch((e) => console.error("fake meta placer:", e));
    }, ms);
    this.#timers.add(t);
  }

  /** Waits (bounded) until no call rings or talks. */
  async idle(timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#timers.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Grants `user` a permanent permission, as Meta's reply webhook would. */
export async function grant(store: Store, phoneNumberId: string, user: string): Promise<void> {
  await store.applyPermissionReply({
    phoneNumberId,
    user,
    messageId: `wamid.grant.${user}`,
    status: "permanent",
    source: "user_action",
    scenario: "permanent_accept",
    at: Date.now() - 1000,
  });
}
