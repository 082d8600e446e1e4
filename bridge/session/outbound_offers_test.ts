import assert from "node:assert/strict";
import { realScheduler } from "../media/frame_clock.ts";
import { FakePeer } from "../../tests/support/session_fakes.ts";
import { OutboundOffers } from "./outbound_offers.ts";
import type { OfferingPeer } from "./outbound_leg.ts";

class Offering extends FakePeer implements OfferingPeer {
  applyAnswer(): Promise<void> {
    return Promise.resolve();
  }
  override close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

Deno.test("offers: taken once; an offer nobody takes is closed at its TTL", async () => {
  const peers: Offering[] = [];
  const offers = new OutboundOffers(() => {
    const p = new Offering(realScheduler);
    peers.push(p);
    return Promise.resolve(p);
  }, 30);
  const a = await offers.create("1");
  const b = await offers.create("1");
  assert.equal(offers.size, 2);
  assert.equal(offers.take(a.offerId), peers[0]);
  assert.equal(offers.take(a.offerId), undefined, "once only");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(peers[1]!.closed, true, "expired and closed");
  assert.equal(offers.take(b.offerId), undefined);
  assert.equal(peers[0]!.closed, false, "a taken offer is its taker's");
  assert.equal(await offers.discard("offer.unknown"), false);
});
