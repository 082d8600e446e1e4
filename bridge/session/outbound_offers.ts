/**
 * Offers of business-initiated calls waiting for Meta's call id: `POST
 * /offers` makes the peer and its SDP offer before Graph `connect` (whose
 * answer names the call), `POST /sessions/outbound` takes it to become the
 * call's session. An offer nobody takes within {@linkcode OFFER_TTL_MS}
 * (Graph refused the connect, the function died) is closed, so its sockets
 * and TURN allocation never leak.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import type { OfferingPeer } from "./outbound_leg.ts";

/** How long an offer waits to be taken: Graph `connect` answers in well under this. */
export const OFFER_TTL_MS = 30_000;

/** Log events of the registry (`bridge.offers`). */
export type OfferLogEvent = "WA_OUTBOUND_OFFER_EXPIRED" | "WA_OUTBOUND_OFFER_CREATED";

/** Makes one offering peer (the bridge's peer factory `offer`). */
export type OfferFactory = () => Promise<OfferingPeer>;

const log = eventLogger<OfferLogEvent>("offers");

/** The pending offers of this bridge. */
export class OutboundOffers {
  readonly #make: OfferFactory;
  readonly #ttlMs: number;
  readonly #pending = new Map<
    string,
    { peer: OfferingPeer; timer: ReturnType<typeof setTimeout> }
  >();

  /** Creates an empty registry. */
  constructor(make: OfferFactory, ttlMs = OFFER_TTL_MS) {
    this.#make = make;
    this.#ttlMs = ttlMs;
  }

  /** Offers waiting to be taken. */
  get size(): number {
    return this.#pending.size;
  }

  /** Makes a peer and its offer; it waits for {@linkcode take} until the TTL. */
  async create(phoneNumberId: string): Promise<{ offerId: string; sdp: string }> {
    const peer = await this.#make();
    const offerId = `offer.${crypto.randomUUID()}`;
    const timer = setTimeout(() => {
      if (!this.#pending.delete(offerId)) return;
      log.warn("WA_OUTBOUND_OFFER_EXPIRED", { offerId, phoneNumberId, ttlMs: this.#ttlMs });
      void peer.close().catch(() => {});
    }, this.#ttlMs);
    Deno.unrefTimer(timer);
    this.#pending.set(offerId, { peer, timer });
    log.info("WA_OUTBOUND_OFFER_CREATED", { offerId, phoneNumberId });
    return { offerId, sdp: peer.answerSdp };
  }

  /** The offer's peer, now the caller's to keep or close; undefined when unknown or expired. */
  take(offerId: string): OfferingPeer | undefined {
    const entry = this.#pending.get(offerId);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#pending.delete(offerId);
    return entry.peer;
  }

  /** Closes an offer nobody will take (Graph refused the connect). True when it was pending. */
  async discard(offerId: string): Promise<boolean> {
    const peer = this.take(offerId);
    await peer?.close().catch(() => {});
    return peer !== undefined;
  }

  /** Closes every pending offer (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#pending.keys()].map((id) => this.discard(id)));
  }
}
