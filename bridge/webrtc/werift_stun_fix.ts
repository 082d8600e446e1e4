/**
 * Why: werift 0.25.2's ICE `Connection` falls back to Google's
 * `stun.l.google.com:19302` whenever no STUN server is configured
 * (`applyStunTurnServersFromOptions`), and RTCPeerConnection's `iceServers: []`
 * does not stop it. So every call resolved that name and waited for a STUN
 * answer from the internet; where DNS or that UDP hangs, the answer waited
 * werift's 5 s STUN timeout, missed the Edge Function's 1.5 s deadline and
 * every call was rejected (tests/network/no_default_stun_test.ts). Meta needs
 * no server-reflexive candidate (it is ICE-lite and learns the bridge's
 * address from its checks), so the bridge asks a STUN server only when
 * `ICE_SERVERS` names one.
 *
 * Upstream fix: werift using a default STUN server only when asked to; with
 * that in werift, this file goes.
 *
 * @module
 */
import { Connection } from "werift";
import type { ConnectionInternals } from "./werift_internals.ts";

type StunOptions = Pick<ConnectionInternals, "stunServer" | "options"> & {
  applyStunTurnServersFromOptions(): void;
};

let installed = false;

/** Makes every werift ICE connection use only the STUN server it was given. Idempotent. */
export function installWeriftStunFix(): void {
  if (installed) return;
  installed = true;
  const proto = Connection.prototype as unknown as StunOptions;
  const weriftApply = proto.applyStunTurnServersFromOptions;
  proto.applyStunTurnServersFromOptions = function (this: StunOptions) {
    weriftApply.call(this);
    if (this.options.stunServer === undefined) this.stunServer = undefined;
  };
}
