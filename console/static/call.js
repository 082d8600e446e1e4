// @ts-check
/**
 * The Call page's transcript and recording in step: a line's button plays
 * the recording from that line, and the line being heard carries
 * `aria-current="true"` (styled, and announced by screen readers) as the
 * audio plays or is seeked. Each button's `data-start`/`data-end` are seconds
 * from the recording's first frame.
 */

const audio = /** @type {HTMLAudioElement | null} */ (document.getElementById("recording"));
const lines = /** @type {HTMLButtonElement[]} */ ([
  ...document.querySelectorAll("ol.transcript button.line"),
]);

/** @param {HTMLButtonElement} b @param {string} key */
function seconds(b, key) {
  return Number(b.dataset[key] ?? "NaN");
}

/** The line heard at `t`: the latest one started by then and not yet over. */
function lineAt(/** @type {number} */ t) {
  /** @type {HTMLButtonElement | null} */
  let found = null;
  for (const b of lines) {
    if (seconds(b, "start") <= t && t < Math.max(seconds(b, "end"), seconds(b, "start") + 0.3)) {
      found = b;
    }
  }
  return found;
}

function mark() {
  if (!audio) return;
  const current = lineAt(audio.currentTime);
  for (const b of lines) {
    if (b === current) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
}

if (audio) {
  audio.addEventListener("timeupdate", mark);
  audio.addEventListener("seeked", mark);
  for (const b of lines) {
    b.disabled = false;
    b.addEventListener("click", () => {
      audio.currentTime = seconds(b, "start");
      mark();
      audio.play().catch(() => {/* the user can press play; the seek stands */});
    });
  }
}
