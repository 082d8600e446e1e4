// @ts-check
/**
 * The analytics charts, drawn with uPlot (served by the console from the npm
 * package) from the page's "By day" table: each numeric cell carries its
 * exact value in `data-v`, so the charts show what the table says and the
 * table stays the text alternative. Without this script the page is the
 * tables alone.
 *
 * @module
 */

/**
 * The part of uPlot this page uses.
 * @typedef {{ root: HTMLElement, setSize(size: { width: number, height: number }): void }} Plot
 * @typedef {{
 *   new (options: object, data: (number | null)[][], target: HTMLElement): Plot,
 *   paths: { bars(options: object): unknown },
 *   tzDate(date: Date, zone: string): Date,
 * }} UPlot
 */

/** Loaded at run time so type checking does not try to resolve the served path. */
const UPLOT_URL = "/static/vendor/uPlot.esm.js";
const HEIGHT = 240;

/**
 * Series colours (AA contrast on white) and dash patterns, so no series is told
 * apart by colour alone.
 */
const STYLES = {
  answered: { stroke: "#0b5c43", dash: [] },
  rejected: { stroke: "#a4161a", dash: [6, 3] },
  failed: { stroke: "#7a3e9d", dash: [2, 2] },
  other: { stroke: "#4a525c", dash: [10, 4] },
  turnP50Ms: { stroke: "#0a4fa3", dash: [] },
  turnP95Ms: { stroke: "#c2410c", dash: [6, 3] },
  costUsd: { stroke: "#0b5c43", dash: [] },
};

/**
 * The "By day" table as columns: day (Unix seconds of UTC midnight) and each figure.
 * @param {HTMLTableElement} table
 * @returns {{ x: number[], columns: Record<string, (number | null)[]> }}
 */
function readTable(table) {
  /** @type {number[]} */
  const x = [];
  /** @type {Record<string, (number | null)[]>} */
  const columns = {};
  for (const row of Array.from(table.tBodies.item(0)?.rows ?? [])) {
    const day = row.dataset.day;
    if (day === undefined) continue;
    x.push(Date.parse(`${day}T00:00:00Z`) / 1000);
    for (const cell of Array.from(row.querySelectorAll("td[data-col]"))) {
      const td = /** @type {HTMLElement} */ (cell);
      const key = td.dataset.col ?? "";
      const value = td.dataset.v === undefined || td.dataset.v === "" ? null : Number(td.dataset.v);
      (columns[key] ??= []).push(value);
    }
  }
  return { x, columns };
}

/**
 * @param {string} key
 * @param {string} label
 * @param {object} [extra]
 */
function series(key, label, extra = {}) {
  const style = STYLES[/** @type {keyof typeof STYLES} */ (key)];
  return {
    label,
    stroke: style.stroke,
    dash: style.dash,
    width: 2,
    points: { show: true },
    ...extra,
  };
}

/**
 * Draws one chart into `target` and names its canvas after the figure.
 * @param {UPlot} uPlot
 * @param {HTMLElement} target
 * @param {object[]} seriesList
 * @param {(number | null)[][]} data
 * @param {string} unit
 */
function draw(uPlot, target, seriesList, data, unit) {
  const plot = new uPlot(
    {
      width: Math.max(280, target.clientWidth),
      height: HEIGHT,
      // Days are UTC midnights standing for local days: label them as such.
      tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      legend: { live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      axes: [{}, { label: unit, size: 70 }],
      // Counts and money start at zero, or a bar's height would mislead.
      scales: {
        y: {
          range: (
            /** @type {unknown} */ _u,
            /** @type {number} */ _min,
            /** @type {number} */ max,
          ) => [0, max > 0 ? max * 1.1 : 1],
        },
      },
      series: [{ label: "Day" }, ...seriesList],
    },
    data,
    target,
  );
  const name = target.dataset.label ?? "Chart";
  for (const canvas of Array.from(plot.root.querySelectorAll("canvas"))) {
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", name);
  }
  target.dataset.drawn = "true";
  new ResizeObserver(() =>
    plot.setSize({ width: Math.max(280, target.clientWidth), height: HEIGHT })
  )
    .observe(target);
}

async function main() {
  const table = /** @type {HTMLTableElement | null} */ (document.getElementById("an-days"));
  if (table === null) return;
  const { default: uPlot } = /** @type {{ default: UPlot }} */ (await import(UPLOT_URL));
  const { x, columns } = readTable(table);
  const col = (/** @type {string} */ key) => columns[key] ?? x.map(() => null);
  const slot = (/** @type {string} */ id) => document.getElementById(id);

  const calls = slot("an-chart-calls");
  if (calls) {
    draw(
      uPlot,
      calls,
      [
        series("answered", "Answered"),
        series("rejected", "Rejected"),
        series("failed", "Failed"),
        series("other", "Missed or open"),
      ],
      [x, col("answered"), col("rejected"), col("failed"), col("other")],
      "calls",
    );
  }
  const latency = slot("an-chart-latency");
  if (latency) {
    draw(
      uPlot,
      latency,
      [
        series("turnP50Ms", "p50"),
        series("turnP95Ms", "p95"),
      ],
      [x, col("turnP50Ms"), col("turnP95Ms")],
      "ms",
    );
  }
  const cost = slot("an-chart-cost");
  if (cost) {
    draw(
      uPlot,
      cost,
      [
        series("costUsd", "Cost", {
          fill: "rgba(11, 92, 67, 0.35)",
          paths: uPlot.paths.bars({ size: [0.7, 40] }),
          points: { show: false },
        }),
      ],
      [x, col("costUsd")],
      "USD",
    );
  }
}

main().catch((error) => {
  const status = document.createElement("p");
  status.className = "error";
  status.setAttribute("role", "status");
  status.textContent = `The charts could not be drawn (${
    String(error)
  }); the tables hold every figure.`;
  document.getElementById("an-charts-h")?.after(status);
  throw error;
});
