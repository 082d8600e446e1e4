import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { postgresAvailable, startPostgres } from "../support/postgres.ts";
import { newCallId, offerFor, terminateFor, voiceCallsRig } from "./harness.ts";

// Skipped (and reported as ignored) where neither DATABASE_URL nor local PostgreSQL binaries exist.
Deno.test({
  name: "dedupe on real PostgreSQL: concurrent duplicate connects answered once [postgres]",
  ignore: !postgresAvailable(),
  async fn() {
    const server = (await startPostgres())!;
    const db = await server.createDatabase();
    const store = await openStore({ url: db.url, migrate: true });
    const rig = await voiceCallsRig({ store });
    try {
      assert.equal(store.backend, "postgres");
      const callId = newCallId();
      const offer = offerFor(callId);
      const outcomes = (await Promise.all([1, 2, 3, 4, 5].map(() => rig.send(offer))))
        .map((r) => r[0]?.outcome).sort();
      assert.deepEqual(outcomes, ["accepted", "duplicate", "duplicate", "duplicate", "duplicate"]);
      assert.equal(rig.bridge.sessionsFor(callId).length, 1);
      const actions = rig.graph.actionsFor(callId);
      assert.deepEqual(actions, ["pre_accept", "accept"]);

      const ends = await Promise.all([1, 2].map(() => rig.send(terminateFor(callId))));
      assert.deepEqual(ends.map((r) => r[0]?.outcome).sort(), ["duplicate", "ended"]);
      assert.equal((await store.getCall(callId))?.status, "completed");

      // terminate first, then a late connect: never accepted.
      const late = newCallId();
      await rig.send(terminateFor(late));
      assert.equal((await rig.send(offerFor(late)))[0]?.outcome, "after_terminate");
      assert.equal(rig.graph.requests.filter((r) => r.callId === late).length, 0);
    } finally {
      await rig.close();
      await store.close();
      await db.drop();
      await server.stop();
    }
  },
});
