import assert from "node:assert/strict";
import { checkTurn } from "./turn.ts";
import { renderTable } from "./check.ts";
import { parseIceServers } from "../network/ice_servers.ts";
import { probeTurn } from "../network/turn_probe.ts";
import { coturnMissing, startLoopbackCoturn, TURN_USER } from "../../tests/support/coturn.ts";

Deno.test("doctor turn: no TURN server in ICE_SERVERS is a skip", async () => {
  const rows = await checkTurn(parseIceServers([{ urls: "stun:stun.example:3478" }]), {
    timeoutMs: 10,
    probe: () => Promise.reject(new Error("not called")),
  });
  assert.deepEqual(rows.map((r) => r.status), ["skip"]);
});

Deno.test({
  name:
    "doctor turn: real coturn allocates over UDP and TCP; wrong credentials fail as auth [coturn]",
  ignore: coturnMissing() !== undefined,
}, async () => {
  const coturn = await startLoopbackCoturn();
  try {
    const servers = parseIceServers([
      { urls: `turn:127.0.0.1:${coturn.port}`, ...TURN_USER },
      { urls: `turn:127.0.0.1:${coturn.port}?transport=tcp`, ...TURN_USER },
      {
        urls: `turn:127.0.0.1:${coturn.port}`,
        username: "bridge",
        credential: "wrong-password-42",
      },
    ]);
    const rows = await checkTurn(servers, { timeoutMs: 3000, probe: probeTurn });
    assert.deepEqual(rows.map((r) => r.status), ["ok", "ok", "fail"], renderTable(rows));
    assert.match(rows[0]!.name, /^turn:127\.0\.0\.1:\d+ \(udp\)$/);
    assert.match(rows[1]!.name, /\?transport=tcp \(tcp\)$/);
    assert.match(rows[0]!.detail, /^relay 127\.0\.0\.1:\d+/);
    assert.match(rows[2]!.detail, /^auth: /);
    assert.match(rows[2]!.fix!, /refuses these credentials/);
    const text = renderTable(rows);
    assert.doesNotMatch(text, /secret-turn-pass|wrong-password-42/);
  } finally {
    await coturn.stop();
  }
});
