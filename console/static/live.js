// @ts-check
/**
 * The Live page kept current: rows, durations, levels and transcript lines
 * from `/live/stream` (Server-Sent Events, one per page), and "End call"
 * behind a confirmation dialog. Without this script the page still lists the
 * calls as they were when it loaded, and "End call" goes through a
 * confirmation page.
 *
 * @module
 */

/**
 * @typedef {{ speaker: "caller" | "agent", text: string, partial: boolean }} LiveLine
 * @typedef {{
 *   callId: string, caller: string, status: string | null, state: string | null,
 *   agent: string | null, startedAt: number, acceptedAt: number | null,
 *   levels: { caller: number | null, agent: number | null }, lines: LiveLine[]
 * }} LiveCall
 */

const LEVEL_MIN = -60;
/** How long an end request may go unanswered before the button comes back. */
const ENDING_TIMEOUT_MS = 10_000;
/** Ended calls whose late snapshots are ignored, by id → when. */
const ended = new Map();

const table = /** @type {HTMLTableElement | null} */ (document.getElementById("live-calls"));
const tbody = table?.tBodies.item(0) ?? null;
const template = /** @type {HTMLTemplateElement | null} */ (document.getElementById("live-row"));
const statusLine = /** @type {HTMLElement} */ (document.getElementById("live-status"));
const empty = /** @type {HTMLElement} */ (document.getElementById("live-empty"));
const dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("end-dialog"));
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/** @param {number} ms */
function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** @returns {HTMLTableRowElement[]} */
function rows() {
  return tbody ? [...tbody.rows] : [];
}

/** @param {string} callId */
function findRow(callId) {
  return rows().find((r) => r.dataset.callId === callId);
}

/** @param {HTMLElement} row @param {string} name */
function cell(row, name) {
  return /** @type {HTMLElement} */ (row.querySelector(`[data-cell="${name}"]`));
}

/** @param {string} text */
function say(text) {
  statusLine.textContent = text;
}

function updateCount() {
  const n = rows().length;
  empty.hidden = n > 0;
  return n;
}

/** @param {HTMLElement} row */
function tickDuration(row) {
  const since = Number(row.dataset.since);
  if (Number.isFinite(since) && since > 0) {
    cell(row, "duration").textContent = formatDuration(Date.now() - since);
  }
}

/** @param {HTMLTableRowElement} row @param {"caller" | "agent"} side @param {number | null} db */
function setLevel(row, side, db) {
  const meter = /** @type {HTMLMeterElement} */ (row.querySelector(`meter[data-level="${side}"]`));
  const text = /** @type {HTMLElement} */ (row.querySelector(`[data-level-text="${side}"]`));
  meter.value = db === null ? LEVEL_MIN : Math.max(LEVEL_MIN, db);
  text.textContent = db === null ? "—" : `${db} dBFS`;
}

/** @param {HTMLTableRowElement} row @param {LiveLine[]} lines */
function setLines(row, lines) {
  const list = /** @type {HTMLOListElement} */ (row.querySelector("ol.live-lines"));
  list.replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.className = line.partial ? `${line.speaker} partial` : line.speaker;
    const who = document.createElement("span");
    who.className = "speaker";
    who.textContent = line.speaker === "caller" ? "Caller: " : "Agent: ";
    item.append(who, line.text);
    if (line.partial) {
      const note = document.createElement("span");
      note.className = "visually-hidden";
      note.textContent = " (still speaking)";
      item.append(note);
    }
    return item;
  }));
}

/** @param {LiveCall} call */
function newRow(call) {
  if (!tbody || !template) return undefined;
  const fragment = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
  const row = /** @type {HTMLTableRowElement} */ (fragment.querySelector("tr"));
  row.dataset.callId = call.callId;
  const link = /** @type {HTMLAnchorElement} */ (row.querySelector('[data-cell="caller"] a'));
  link.href = `/calls/${encodeURIComponent(call.callId)}`;
  const form = row.querySelector("form");
  if (form) form.action = `/live/${encodeURIComponent(call.callId)}/end`;
  tbody.prepend(row);
  return row;
}

/** Adds or updates the row of `call` (only what the view knows). @param {LiveCall} call */
function upsert(call) {
  if (ended.has(call.callId)) return;
  const row = findRow(call.callId) ?? newRow(call);
  if (!row) return;
  row.dataset.since = String(call.acceptedAt ?? call.startedAt);
  const link = /** @type {HTMLAnchorElement} */ (row.querySelector('[data-cell="caller"] a'));
  link.textContent = call.caller;
  row.querySelector("[data-end-call]")?.setAttribute("aria-label", `End call from ${call.caller}`);
  cell(row, "state").textContent = call.state ?? call.status ?? "—";
  cell(row, "agent").textContent = call.agent ?? "—";
  if (call.state !== null) {
    setLevel(row, "caller", call.levels.caller);
    setLevel(row, "agent", call.levels.agent);
    setLines(row, call.lines);
  }
  tickDuration(row);
}

/** @param {string} callId */
function remove(callId) {
  ended.set(callId, Date.now());
  const row = findRow(callId);
  if (!row) return;
  const caller = cell(row, "caller").textContent ?? "";
  row.remove();
  const n = updateCount();
  say(`The call from ${caller.trim()} ended. ${n} ${n === 1 ? "call" : "calls"} in progress.`);
}

/** The store's list on (re)connect: rows of calls no longer live go. @param {LiveCall[]} calls */
function reconcile(calls) {
  const live = new Set(calls.map((c) => c.callId));
  for (const row of rows()) if (!live.has(row.dataset.callId ?? "")) row.remove();
  for (const call of [...calls].reverse()) {
    if (findRow(call.callId)) continue;
    upsert(call);
  }
  const n = updateCount();
  say(`${n} ${n === 1 ? "call" : "calls"} in progress. Updating live.`);
}

/** @param {MessageEvent} event */
function data(event) {
  return JSON.parse(event.data);
}

function connect() {
  const source = new EventSource("/live/stream");
  source.addEventListener("calls", (e) => reconcile(data(/** @type {MessageEvent} */ (e)).calls));
  source.addEventListener("snapshot", (e) => {
    upsert(data(/** @type {MessageEvent} */ (e)).call);
    updateCount();
  });
  source.addEventListener("ended", (e) => remove(data(/** @type {MessageEvent} */ (e)).callId));
  source.addEventListener("unavailable", () => {
    source.close();
    say("Live updates are unavailable: reload to see changes.");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CONNECTING) say("Reconnecting to live updates…");
  });
}

/** @param {HTMLElement} row @returns {HTMLButtonElement | null} */
function endButton(row) {
  return row.querySelector("button[data-end-call]");
}

/** Asks the bridges to end the call of `row`. @param {HTMLTableRowElement} row */
async function endCall(row) {
  const callId = row.dataset.callId ?? "";
  const button = endButton(row);
  if (button) button.disabled = true;
  const res = await fetch(`/live/${encodeURIComponent(callId)}/end`, {
    method: "POST",
    headers: { "x-csrf-token": csrf, accept: "application/json" },
  }).catch(() => null);
  if (res && res.status === 202) {
    if (button) button.textContent = "Ending…";
    say("Ending the call…");
    // No bridge holds a call whose bridge died: say so rather than wait for ever.
    setTimeout(() => {
      if (!row.isConnected || !button) return;
      button.disabled = false;
      button.textContent = "End call";
      say("No bridge ended the call: it may have ended already. Reload to check.");
    }, ENDING_TIMEOUT_MS);
    return;
  }
  if (button) button.disabled = false;
  const body = res ? await res.json().catch(() => ({})) : {};
  say(`The call could not be ended: ${body.message ?? body.error ?? "no answer"}.`);
}

/** @param {SubmitEvent} event */
function onSubmit(event) {
  const form = /** @type {HTMLFormElement} */ (event.target);
  const row = /** @type {HTMLTableRowElement | null} */ (form.closest("tr[data-call-id]"));
  if (!row || !dialog) return; // without the dialog, the confirmation page
  event.preventDefault();
  const caller = dialog.querySelector("[data-dialog-caller]");
  if (caller) caller.textContent = cell(row, "caller").textContent?.trim() ?? "";
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "confirm") void endCall(row);
    else endButton(row)?.focus();
  }, { once: true });
  dialog.showModal();
}

if (table) {
  table.addEventListener("submit", onSubmit);
  setInterval(() => {
    rows().forEach(tickDuration);
    const old = Date.now() - 60_000;
    for (const [id, at] of ended) if (at < old) ended.delete(id);
  }, 1000);
  if (statusLine.dataset.streaming === "true") connect();
}
