/**
 * Why: werift's `Event.execute` calls the event's synchronous subscribers,
 * then always starts an async function for its queued (`queuingSubscribe`)
 * ones, even when there are none: a closure, two promises and a microtask per
 * call. A received packet passes four such events (UDP protocol, ICE
 * connection, DTLS transport, track), so at 50 calls that is 10,000 idle
 * async functions a second and about a sixth of what the bridge allocates.
 * `execute` is a per-instance field, so the peer gives the events its packets
 * pass a lean `execute`: it calls the synchronous subscribers exactly as
 * werift does and hands over to werift's own whenever a queued subscriber
 * exists.
 *
 * Upstream fix: `Event.execute` skipping its async loop when `promiseStack`
 * is empty; with that in werift, this file goes.
 *
 * @module
 */
import type { RTCDtlsTransport } from "werift";
import type { EventInternals, RTCDtlsTransportInternals } from "./werift_internals.ts";

const lean = new WeakSet<object>();

/** Gives `e` the lean `execute` described in the module doc (idempotent). */
export function leanExecute<T extends unknown[]>(e: EventInternals<T>): void {
  if (lean.has(e)) return;
  lean.add(e);
  const weriftExecute = e.execute;
  e.execute = (...args: T) => {
    // werift replaces these arrays on (un)subscribe, so read them per call.
    if (e.event.promiseStack.length > 0) return weriftExecute(...args);
    if (e.ended) return;
    for (const item of e.event.stack) item.execute(...args);
  };
}

/**
 * Makes the receive path of `dtlsTransport` lean, from each gathered
 * protocol up to the transport's `onRtp`; call it once gathering is complete,
 * when every protocol a packet can arrive on exists. A track's `onReceiveRtp`
 * is made lean where it is subscribed.
 */
export function leanReceivePath(dtlsTransport: RTCDtlsTransport): void {
  const { onRtp, iceTransport } = dtlsTransport as unknown as RTCDtlsTransportInternals;
  const { connection } = iceTransport;
  leanExecute(onRtp);
  leanExecute(connection.onData);
  for (const protocol of connection.protocols) leanExecute(protocol.onDataReceived);
}
