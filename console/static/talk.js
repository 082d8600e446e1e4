// @ts-check
/**
 * "Talk to your agent" in the browser: the microphone goes to the bridge over
 * WebRTC (Opus), the agent's voice comes back into an <audio> element.
 *
 * The offer is sent complete (gathered), as WhatsApp's is: the bridge takes no
 * trickled candidates. Only Opus and telephone-event/8000 are offered, the two
 * codecs the bridge's WhatsApp offer checks accept. The console records the
 * call and asks the bridge for the session; hanging up goes through the
 * console too (`DELETE`), so the call's record is closed by the bridge.
 *
 * @module
 */

/** How long ICE gathering may take before the offer goes with what it has. */
const GATHER_TIMEOUT_MS = 3000;
/** How often the level meters and the packet counters are refreshed. */
const REFRESH_MS = 100;

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el;
}

const form = /** @type {HTMLFormElement} */ (byId("talk-form"));
const numberInput = /** @type {HTMLInputElement} */ (byId("talk-number"));
const startButton = /** @type {HTMLButtonElement} */ (byId("talk-start"));
const hangupButton = /** @type {HTMLButtonElement} */ (byId("talk-hangup"));
const statusLine = byId("talk-status");
const audio = /** @type {HTMLAudioElement} */ (byId("talk-audio"));
const micMeter = /** @type {HTMLMeterElement} */ (byId("talk-mic-level"));
const agentMeter = /** @type {HTMLMeterElement} */ (byId("talk-agent-level"));
const sentCell = byId("talk-sent");
const receivedCell = byId("talk-received");
const callCell = byId("talk-call");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/**
 * One call in progress.
 * @typedef {{
 *   pc: RTCPeerConnection,
 *   stream: MediaStream,
 *   audioContext: AudioContext,
 *   phoneNumberId: string,
 *   callId: string | undefined,
 *   timer: ReturnType<typeof setInterval> | undefined,
 *   ended: boolean,
 * }} Call
 */

/** @type {Call | undefined} */
let call;

/** @param {string} text */
function announce(text) {
  statusLine.textContent = text;
}

/** @param {"idle" | "calling" | "connected"} state */
function setState(state) {
  form.dataset.state = state;
  startButton.disabled = state !== "idle";
  numberInput.disabled = state !== "idle";
  hangupButton.disabled = state === "idle";
}

/**
 * Offer only the codecs the bridge accepts.
 * @param {RTCRtpTransceiver} transceiver
 */
function preferWhatsAppCodecs(transceiver) {
  const codecs = RTCRtpReceiver.getCapabilities("audio")?.codecs ?? [];
  transceiver.setCodecPreferences(codecs.filter((c) => {
    const mime = c.mimeType.toLowerCase();
    return mime === "audio/opus" || (mime === "audio/telephone-event" && c.clockRate === 8000);
  }));
}

/**
 * The local description once gathering is complete (or after the timeout).
 * @param {RTCPeerConnection} pc
 * @returns {Promise<string>}
 */
async function gatheredOffer(pc) {
  await pc.setLocalDescription();
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
    const check = () => {
      if (pc.iceGatheringState !== "complete") return;
      clearTimeout(timer);
      resolve(undefined);
    };
    pc.addEventListener("icegatheringstatechange", check);
    check();
  });
  return pc.localDescription?.sdp ?? "";
}

/**
 * An analyser on `stream`, and a function reading its level (RMS, 0–1).
 * @param {AudioContext} ctx
 * @param {MediaStream} stream
 * @returns {() => number}
 */
function levelOf(ctx, stream) {
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  return () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    return Math.sqrt(sum / samples.length);
  };
}

/**
 * Shows a level, and keeps the loudest seen in `data-peak` (read by the tests).
 * @param {HTMLMeterElement} meter
 * @param {number} level
 */
function showLevel(meter, level) {
  // RMS of speech sits around 0.05–0.3: a square root spreads it over the meter.
  const shown = Math.min(1, Math.sqrt(level));
  meter.value = shown;
  meter.textContent = shown.toFixed(2);
  meter.dataset.peak = String(Math.max(Number(meter.dataset.peak ?? 0), level));
}

/** @param {RTCPeerConnection} pc */
async function showPackets(pc) {
  let sent = 0, received = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "audio") sent += s.packetsSent ?? 0;
    if (s.type === "inbound-rtp" && s.kind === "audio") received += s.packetsReceived ?? 0;
  });
  sentCell.textContent = String(sent);
  receivedCell.textContent = String(received);
}

/**
 * The console's JSON error as one sentence.
 * @param {Response} res
 */
async function errorText(res) {
  /** @type {{ error?: string, reasons?: string[], issues?: string[], message?: string }} */
  const body = await res.json().catch(() => ({}));
  const detail = [...(body.reasons ?? []), ...(body.issues ?? [])].join("; ");
  const text = body.message ?? body.error ?? `HTTP ${res.status}`;
  return detail ? `${text}: ${detail}` : text;
}

/** @param {string} phoneNumberId */
async function start(phoneNumberId) {
  setState("calling");
  sentCell.textContent = "0";
  receivedCell.textContent = "0";
  callCell.textContent = "—";
  for (const meter of [micMeter, agentMeter]) delete meter.dataset.peak;
  announce("Asking for your microphone…");
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const audioContext = new AudioContext();
  const pc = new RTCPeerConnection();
  /** @type {Call} */
  const current = {
    pc,
    stream,
    audioContext,
    phoneNumberId,
    callId: undefined,
    timer: undefined,
    ended: false,
  };
  call = current;
  const micLevel = levelOf(audioContext, stream);
  /** @type {(() => number) | undefined} */
  let agentLevel;
  pc.addEventListener("track", (event) => {
    const remote = new MediaStream([event.track]);
    audio.srcObject = remote;
    void audio.play().catch(() => announce("Connected. Press play to hear the agent."));
    agentLevel = levelOf(audioContext, remote);
  });
  pc.addEventListener("connectionstatechange", () => {
    if (current.ended) return;
    if (pc.connectionState === "connected") {
      setState("connected");
      announce("Connected: speak to the agent.");
    } else if (pc.connectionState === "failed") {
      announce("The connection to the bridge failed. Check the bridge's PUBLIC_IP or TURN.");
      void hangUp(current);
    } else if (pc.connectionState === "disconnected") {
      announce("The connection dropped; waiting for it to come back…");
    }
  });
  const track = stream.getAudioTracks()[0];
  if (!track) throw new Error("no microphone track");
  preferWhatsAppCodecs(pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] }));
  current.timer = setInterval(() => {
    showLevel(micMeter, micLevel());
    if (agentLevel) showLevel(agentMeter, agentLevel());
    void showPackets(pc);
  }, REFRESH_MS);
  await audioContext.resume();

  announce("Calling the agent…");
  const sdp = await gatheredOffer(pc);
  const res = await fetch(`/talk/${encodeURIComponent(phoneNumberId)}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
    body: JSON.stringify({ sdp }),
  });
  if (current.ended) return;
  if (res.status !== 201) throw new Error(await errorText(res));
  /** @type {{ callId: string, sdp: string }} */
  const answer = await res.json();
  current.callId = answer.callId;
  // The call's own page (timeline, recording, transcript) once it has them.
  const link = document.createElement("a");
  link.href = `/calls/${encodeURIComponent(answer.callId)}`;
  link.textContent = answer.callId;
  callCell.replaceChildren(link);
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  announce("Connecting the audio…");
}

/**
 * Ends the call here and, through the console, at the bridge (which closes its record).
 * @param {Call} current
 */
async function hangUp(current) {
  if (current.ended) return;
  current.ended = true;
  clearInterval(current.timer);
  current.pc.close();
  for (const t of current.stream.getTracks()) t.stop();
  void current.audioContext.close();
  audio.srcObject = null;
  micMeter.value = 0;
  agentMeter.value = 0;
  if (call === current) call = undefined;
  setState("idle");
  if (current.callId === undefined) {
    announce("Call ended.");
    return;
  }
  announce("Hanging up…");
  try {
    const path = `/talk/${encodeURIComponent(current.phoneNumberId)}/sessions/` +
      encodeURIComponent(current.callId);
    const res = await fetch(path, {
      method: "DELETE",
      headers: { "x-csrf-token": csrfToken },
      keepalive: true,
    });
    // 404 would mean it was gone already: ended either way.
    announce(res.ok || res.status === 404 ? "Call ended." : await errorText(res));
  } catch (error) {
    announce(`Call ended here; the console could not be told: ${String(error)}`);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (call || !form.reportValidity()) return;
  start(numberInput.value.trim()).catch((error) => {
    const current = call;
    const message = error instanceof Error ? error.message : String(error);
    if (current) void hangUp(current).then(() => announce(`The call could not start: ${message}`));
    else {
      setState("idle");
      announce(`The call could not start: ${message}`);
    }
  });
});

hangupButton.addEventListener("click", () => {
  if (call) void hangUp(call);
});

// Leaving the page hangs up: the DELETE is sent with `keepalive`.
addEventListener("pagehide", () => {
  if (call) void hangUp(call);
});

setState("idle");
