/**
 * Issue 13, item 4: SRTP packets captured on the path and sent again must
 * not reach the agent a second time, whether they come from another socket
 * or from the caller's own address (an attacker who can spoof it).
 */
import assert from "node:assert/strict";
import { isRtp } from "../../bridge/webrtc/media_fast_path.ts";
import { until } from "../support/until.ts";
import { type Tapped, tappedCall } from "./tapped_call.ts";

const TELEPHONE_EVENT_PT = 126;
const isDtmf = (t: Tapped) => isRtp(t.bytes) && (t.bytes[1]! & 0x7f) === TELEPHONE_EVENT_PT;
const isRtcp = (t: Tapped) => !isRtp(t.bytes);

/** Polls the session's `rtp` stats until `cond` holds for them; rejects after `timeoutMs`. */
async function statsUntil(
  stats: () => Promise<Record<string, number>>,
  cond: (rtp: Record<string, number>) => boolean,
  what: string,
  timeoutMs = 3000,
): Promise<Record<string, number>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const rtp = await stats();
    if (cond(rtp)) return rtp;
    if (performance.now() > end) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(rtp)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("a captured DTMF key press replayed later is not counted again", async () => {
  const call = await tappedCall({ decode: false });
  const { caller, agent, sent } = call;
  const replayer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const before = sent.length;
    await caller.sendDtmf("1");
    const press = sent.slice(before).filter(isDtmf);
    assert.ok(press.length >= 3, `${press.length} DTMF packets captured`);
    // The detector remembers the last 8 events: these push "1" out of its memory.
    for (const digit of ["2", "3", "4", "5", "6", "7", "8", "9"] as const) {
      await caller.sendDtmf(digit, 40);
    }
    const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    await until(() => agent.digits.length >= 9, 3000, "nine digits");
    assert.deepEqual(agent.digits, digits);
    await until(() => sent.some(isRtcp), 3000, "an SRTCP report from the caller");
    const reports = sent.filter(isRtcp);

    // From another socket on the same host.
    const to = call.bridgeMedia;
    for (const t of [...press, ...reports]) {
      await replayer.send(t.bytes, { transport: "udp", hostname: to[0], port: to[1] });
    }
    const replayed = press.length + reports.length;
    await statsUntil(call.rtpStats, (rtp) => rtp.foreignSourceDrops! >= replayed, "drops")
      .catch(() => {}); // today's bridge counts nothing: the digits below tell
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(agent.digits, digits, "replayed from another socket: no digit added");

    // From the caller's own address, as a spoofer would send them.
    const heard = agent.heard.length;
    for (const t of [...press, ...reports]) caller.sendDatagram(t.bytes);
    await statsUntil(call.rtpStats, (rtp) => rtp.srtpReplays! >= replayed, "replays")
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(agent.digits, digits, "replayed from the caller's address: no digit added");
    const stats = await call.rtpStats();
    assert.equal(stats.foreignSourceDrops, replayed, "each replay from elsewhere counted");
    assert.equal(stats.srtpReplays, replayed, "each replay from the caller's address counted");
    assert.equal(stats.srtpAuthFailures, 0);
    await until(() => agent.heard.length > heard + 10, 3000, "the call's audio going on");
  } finally {
    replayer.close();
    await call.close();
  }
});
