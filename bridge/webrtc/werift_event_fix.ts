/**
 * Takes the idle promise out of werift's events on the media path.
 *
 * werift's `Event.execute` calls the event's synchronous subscribers, then
 * always starts an async function for its queued (`queuingSubscribe`) ones,
 * even when there are none: a closure, two promises and a microtask per call.
 * A received packet passes four such events (UDP protocol, ICE connection,
 * DTLS transport, track), so at 50 calls that is 10,000 idle async functions
 * a second and about a sixth of what the bridge allocates.
 *
 * `execute` is a per-instance field, so the fix is applied to the events the
 * packets pass, not to werift's class. The lean `execute` calls the
 * synchronous subscribers exactly as werift does and hands over to werift's
 * own whenever a queued subscriber exists.
 *
 * @module
 */

/** The fields of a werift `Event` that `execute` reads. */
export interface WeriftEvent {
  ended: boolean;
  event: {
    stack: Array<{ execute: (...args: unknown[]) => void }>;
    promiseStack: unknown[];
  };
  execute: (...args: unknown[]) => void;
}

const lean = new WeakSet<WeriftEvent>();

/** Gives `e` the lean `execute` described in the module doc (idempotent). */
export function leanExecute(e: WeriftEvent): void {
  if (lean.has(e)) return;
  lean.add(e);
  const weriftExecute = e.execute;
  e.execute = (...args: unknown[]) => {
    // werift replaces these arrays on (un)subscribe, so read them per call.
    if (e.event.promiseStack.length > 0) return weriftExecute(...args);
    if (e.ended) return;
    for (const item of e.event.stack) item.execute(...args);
  };
}

/** The werift events every received packet passes, from socket to DTLS transport. */
interface ReceivePath {
  onRtp: WeriftEvent;
  iceTransport: {
    connection: { onData: WeriftEvent; protocols: Array<{ onDataReceived: WeriftEvent }> };
  };
}

/**
 * Makes the receive path of `dtlsTransport` (a werift `RTCDtlsTransport`)
 * lean, from each gathered protocol up to the transport's `onRtp`; call it
 * once gathering is complete, when every protocol a packet can arrive on
 * exists. A track's `onReceiveRtp` is made lean where it is subscribed.
 */
export function leanReceivePath(dtlsTransport: unknown): void {
  const path = dtlsTransport as ReceivePath;
  const { connection } = path.iceTransport;
  leanExecute(path.onRtp);
  leanExecute(connection.onData);
  for (const protocol of connection.protocols) leanExecute(protocol.onDataReceived);
}
