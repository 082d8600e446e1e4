/**
 * `GET /metrics` shows the offers of business-initiated calls waiting for
 * Meta's call id: they hold capacity (`POST /offers` counts them against
 * `MAX_SESSIONS`), so an operator must see them beside the live sessions.
 */
import assert from "node:assert/strict";
import type { MetaAnswer } from "../../lib/sdp/whatsapp_business_offer.ts";
import { FakePeer } from "../../tests/support/session_fakes.ts";
import { stalledManager } from "../../tests/support/stalled_manager.ts";
import { OutboundOffers } from "../session/outbound_offers.ts";
import { createApp } from "./app.ts";

const SECRET = "s3cret-s3cret-s3cret";

class OfferingPeer extends FakePeer {
  applyAnswer(_answer: MetaAnswer): Promise<void> {
    return Promise.resolve();
  }
}

Deno.test("GET /metrics: bridge_outbound_offers_pending follows offers made, taken and discarded", async () => {
  const s = stalledManager(10);
  const offers = new OutboundOffers(() => Promise.resolve(new OfferingPeer(s.scheduler)));
  const app = createApp({ manager: s.manager, secret: SECRET, cpuPercent: () => 0, offers });
  const send = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const pending = async () => {
    const text = await (await send("GET", "/metrics")).text();
    assert.match(text, /# TYPE bridge_outbound_offers_pending gauge/);
    return Number(/^bridge_outbound_offers_pending (\d+)$/m.exec(text)?.[1]);
  };
  try {
    assert.equal(await pending(), 0);
    const a = await (await send("POST", "/offers", { phoneNumberId: "1" })).json();
    const b = await (await send("POST", "/offers", { phoneNumberId: "1" })).json();
    assert.equal(await pending(), 2);
    assert.equal((await send("DELETE", `/offers/${a.offerId}`)).status, 200);
    assert.equal(await pending(), 1);
    assert.ok(offers.take(b.offerId), "taken, as POST /sessions/outbound does");
    assert.equal(await pending(), 0);
  } finally {
    await offers.closeAll();
  }
});
