import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import { testOnBothBackends } from "./backends_test_utils.ts";

const FIGURES = {
  callId: "wacid.figures",
  costUsd: 0.012345678,
  cost: { currency: "USD", totalUsd: 0.012345678, unpriced: ["m.audioPerMinute"] },
  turnCount: 3,
  turnP50Ms: 812.5,
  turnP95Ms: 1400,
  webhookToAcceptMs: 180,
  acceptToFirstAudioMs: null,
  latency: { turnsMs: [700, 812.5, 1400] },
};

async function roundTrip(store: Store): Promise<void> {
  assert.equal(await store.getFigures(FIGURES.callId), null);
  const first = await store.saveFigures(FIGURES);
  const { settledAt, ...stored } = first;
  assert.deepEqual(stored, FIGURES);
  assert.ok(settledAt instanceof Date);
  // Settled again: replaced, not added.
  await store.saveFigures({ ...FIGURES, turnCount: 4, turnP95Ms: null });
  const again = await store.getFigures(FIGURES.callId);
  assert.deepEqual([again?.turnCount, again?.turnP95Ms, again?.turnP50Ms], [4, null, 812.5]);
  await assert.rejects(store.saveFigures({ ...FIGURES, costUsd: -1 }), /check constraint/);
}

// On the server too: numbers and jsonb go through postgres.js there.
testOnBothBackends(
  "figures store",
  "saved, read back exactly, replaced when settled again",
  roundTrip,
);
