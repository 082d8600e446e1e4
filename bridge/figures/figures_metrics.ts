/**
 * The process's cost and latency figures for `/metrics`: spend counted as
 * calls settle, turn latency as each turn is measured. One instance per
 * process ({@linkcode figuresMetrics}), like the media histograms.
 *
 * @module
 */

/** Who was paid. */
export type SpendComponent = "openai" | "meta";

/** Bucket upper bounds (seconds) for turn latency: sub-second is the range that matters. */
export const TURN_LATENCY_BUCKETS_S = [
  0.1,
  0.2,
  0.3,
  0.4,
  0.5,
  0.75,
  1,
  1.5,
  2,
  3,
  5,
  10,
] as const;

/** Spend counters and the turn latency histogram. */
export class FiguresMetrics {
  readonly spendUsd: Record<SpendComponent, number> = { openai: 0, meta: 0 };
  readonly turnBuckets = new Array<number>(TURN_LATENCY_BUCKETS_S.length).fill(0);
  turnCount = 0;
  turnSumSeconds = 0;

  /** Adds settled spend; a negative or non-finite amount is ignored (counters only rise). */
  addSpend(component: SpendComponent, usd: number): void {
    if (Number.isFinite(usd) && usd > 0) this.spendUsd[component] += usd;
  }

  /** One turn's latency, ms. */
  recordTurn(ms: number): void {
    const s = Math.max(0, ms) / 1000;
    this.turnCount++;
    this.turnSumSeconds += s;
    TURN_LATENCY_BUCKETS_S.forEach((le, i) => {
      if (s <= le) this.turnBuckets[i]!++;
    });
  }

  /** Prometheus text lines (no trailing newline). */
  render(): string {
    const lines = [
      "# HELP wa_call_spend_usd_total Spend of settled calls, USD, by who was paid.",
      "# TYPE wa_call_spend_usd_total counter",
    ];
    for (const [component, usd] of Object.entries(this.spendUsd)) {
      lines.push(`wa_call_spend_usd_total{component="${component}"} ${round(usd)}`);
    }
    lines.push(
      "# HELP wa_turn_latency_seconds Caller's end of speech → agent's first audio frame on the wire.",
      "# TYPE wa_turn_latency_seconds histogram",
    );
    TURN_LATENCY_BUCKETS_S.forEach((le, i) => {
      lines.push(`wa_turn_latency_seconds_bucket{le="${le}"} ${this.turnBuckets[i]}`);
    });
    lines.push(
      `wa_turn_latency_seconds_bucket{le="+Inf"} ${this.turnCount}`,
      `wa_turn_latency_seconds_sum ${round(this.turnSumSeconds)}`,
      `wa_turn_latency_seconds_count ${this.turnCount}`,
    );
    return lines.join("\n");
  }
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The process's figures, rendered by `GET /metrics`. */
export const figuresMetrics: FiguresMetrics = new FiguresMetrics();
