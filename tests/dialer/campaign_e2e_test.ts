/**
 * A small campaign end to end: the dialer places each recipient through the
 * real `wa-outbound-calls` over HTTP (service role key, the placement's
 * Idempotency-Key), the real bridge makes the offer, the fake Meta plays the
 * users' phones (one picks up and hears the greeting with its variables, one
 * rejects, one never answers, one never gave permission), and each outcome is
 * stored from the call's own record.
 */
import assert from "node:assert/strict";
import { Dialer } from "../../bridge/dialer/dialer.ts";
import { type CallPlacer, placeResultOf } from "../../bridge/dialer/placer.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { newCallee, outboundRig } from "../functions/outbound_rig.ts";

Deno.test("campaign end to end: answered, rejected, not answered, no permission", async () => {
  const rig = await outboundRig({ WA_OUTBOUND_RING_TIMEOUT_S: "5" });
  try {
    const [ana, bea, cal, dan] = [newCallee(), newCallee(), newCallee(), newCallee()];
    for (const u of [ana, bea, cal]) await rig.grant(u);
    rig.phone.script(ana, { answer: "accept", ringMs: 300, talkMs: 1500 });
    rig.phone.script(bea, { answer: "reject", ringMs: 200 });
    rig.phone.script(cal, { answer: "none" });
    // The same HTTP request the production placer sends, through the rig's authenticated client.
    const placer: CallPlacer = {
      async place(p) {
        const res = await rig.place({
          user: p.user,
          phone_number_id: p.phoneNumberId,
          biz_opaque_callback_data: p.bizOpaqueCallbackData,
          ...(p.purpose ? { purpose: p.purpose } : {}),
        }, p.idempotencyKey);
        return placeResultOf(res.status, await res.json());
      },
    };
    const { campaign } = await rig.store.createCampaign({
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      name: "e2e",
      maxConcurrent: 4,
      maxAttempts: 1,
      retryDelayS: 0,
      retryOn: ["no_answer", "rejected"],
      purpose: { greeting: "Hello {{name}}, about your {{time}} appointment." },
      recipients: [ana, bea, cal, dan].map((user, i) => ({
        user,
        variables: { name: ["Ana", "Bea", "Cal", "Dan"][i]!, time: "10:30" },
      })),
    }, new Date());
    const dialer = new Dialer({
      store: rig.store,
      placer,
      owner: "e2e",
      pollMs: 100,
      callPollMs: 50,
      callbacks: false,
    });
    dialer.start();
    const until = Date.now() + 20_000;
    while ((await rig.store.getCampaign(campaign.id))?.status !== "completed") {
      if (Date.now() > until) throw new Error("the campaign never completed");
      await new Promise((r) => setTimeout(r, 100));
    }
    await dialer.stop();
    const byUser = new Map(
      (await rig.store.listCampaignRecipients(campaign.id)).map((r) => [r.user, r]),
    );
    assert.deepEqual(
      [ana, bea, cal, dan].map((u) => byUser.get(u)!.outcome),
      ["answered", "rejected", "no_answer", "no_permission"],
    );
    assert.ok(
      rig.spoken.includes("Hello Ana, about your 10:30 appointment."),
      rig.spoken.join("|"),
    );
    // One call rang each phone that had permission; none rang the fourth.
    const rung = [...rig.phone.calls.values()].map((c) => c.user);
    assert.deepEqual(rung.sort(), [ana, bea, cal].sort());
    assert.equal(
      (await rig.store.getCall(byUser.get(ana)!.callId!))?.direction,
      "business_initiated",
    );
  } finally {
    await rig.close();
  }
});
