/**
 * Case 5 of issue 14: UDP blocked at the router, so TURN is the only way,
 * and TURN fails: wrong credentials on a real coturn, or a TURN address
 * where nothing answers (no host there: TCP's SYN goes unanswered). The
 * bridge must still answer within the Edge Function's 1.5 s deadline (its
 * gathering is bounded), log the failed allocation as an error naming the
 * server (host:port, never the credentials), and the call must end cleanly
 * within Meta's accept window: rejected while it rings, never accepted
 * into a silent line.
 *
 * Contract with the bridge (bridge/log.ts): `WEBRTC_TURN_ALLOCATION_FAILED`
 * at level error with `server` the display URL and `cause`.
 */
import assert from "node:assert/strict";
import { coturnMissing, TURN_USER } from "../support/coturn.ts";
import { netnsTest, netnsUnavailable, withNatLab } from "../support/netns.ts";
import { type CallResult, labCoturn, runCall } from "./call_harness.ts";

/** The Edge Function's deadline for the bridge's answer (lib/bridge_api/client.ts). */
const ANSWER_DEADLINE_MS = 1500;
/** Meta's accept window after the connect webhook is "about 30 to 60 seconds". */
const META_WINDOW_MS = 30_000;
const WRONG_PASSWORD = "wrong-turn-pass-5c2a9";
/** No host holds this address in the lab: the TURN server is unreachable. */
const NOWHERE = "203.0.113.99";

function assertCleanFailure(res: CallResult, server: string, secret: string): void {
  const why = JSON.stringify({ rejected: res.rejected, other: res.bridgeOther.slice(-3) });
  assert.ok(res.answerMs !== undefined && res.answerMs < ANSWER_DEADLINE_MS, `answer in ${why}`);
  assert.equal(res.acceptedMs, undefined, "never accepted into a silent call");
  assert.ok(res.rejected, `the call was rejected: ${why}`);
  assert.ok(res.rejected.ms < META_WINDOW_MS, `rejected after ${res.rejected.ms} ms`);
  assert.equal(res.relayConnected, undefined, "no media path ever came up");
  const failed = res.logs.filter((l) => l.event === "WEBRTC_TURN_ALLOCATION_FAILED");
  assert.ok(failed.length >= 1, `no allocation error logged: ${events(res)}`);
  assert.equal(failed[0]!.level, "error");
  assert.equal(failed[0]!.props.server, server);
  assert.ok(!res.logs.some((l) => JSON.stringify(l).includes(secret)), "credential in a log");
}

function events(res: CallResult): string {
  return res.logs.map((l) => `${l.level}:${l.event}`).join(", ");
}

function failingCall(kind: "wrong_credentials" | "unreachable") {
  return withNatLab({ nat: "masquerade", blockUdp: true, publicAddrs: 2 }, async (lab) => {
    const turn = kind === "wrong_credentials"
      ? await labCoturn(lab, lab.publicAddrs[1]!)
      : undefined;
    try {
      const server = `turn:${turn?.ip ?? NOWHERE}:3478?transport=tcp`;
      const secret = turn ? WRONG_PASSWORD : TURN_USER.credential;
      const { username } = TURN_USER;
      const res = await runCall(lab, {
        relayAddr: lab.publicAddrs[0]!,
        durationS: 0,
        bridgeEnv: {
          ICE_SERVERS: JSON.stringify([{ urls: server, username, credential: secret }]),
        },
      });
      const failed = res.logs.find((l) => l.event === "WEBRTC_TURN_ALLOCATION_FAILED");
      const summary = {
        kind,
        answerMs: res.answerMs,
        rejected: res.rejected,
        logged: failed ? { level: failed.level, ...failed.props } : events(res),
      };
      console.log(JSON.stringify({ case: "turn_failure", ...summary }));
      assertCleanFailure(res, server, secret);
    } finally {
      await turn?.stop(); // its certificate directory; lab.close() would only end the process
    }
  });
}

netnsTest(
  "network: TURN with wrong credentials or unreachable is logged and the call rejected",
  netnsUnavailable() ?? coturnMissing({ tls: true }),
  async () => {
    const results = await Promise.allSettled([
      failingCall("wrong_credentials"),
      failingCall("unreachable"),
    ]);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) throw (failed[0] as PromiseRejectedResult).reason;
  },
);
