/**
 * `GET /metrics` in Prometheus text format: live calls, admission, RTP, and
 * histograms of per-frame processing and pacing since start. Histograms (not
 * summaries) so scrapes can be diffed over a window and aggregated across
 * bridges.
 *
 * @module
 */
import type { LatencyHistogram } from "../media/latency_histogram.ts";
import type { SessionManager } from "../session/session_manager.ts";
import { figuresMetrics } from "../figures/figures_metrics.ts";

/** Bucket upper bounds (ms) for per-frame processing. */
const FRAME_BUCKETS_MS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50] as const;
/** Bucket upper bounds (ms) for send-clock lateness. */
const PACING_BUCKETS_MS = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 50, 100] as const;

/**
 * Renders the metrics page. `pendingOffers`: offers of business-initiated
 * calls waiting for Meta's call id; admission counts them as sessions.
 */
export function renderMetrics(
  manager: SessionManager,
  cpuPercent: number,
  pendingOffers = 0,
): string {
  const sessions = manager.list();
  let sent = 0, received = 0, lost = 0, concealed = 0;
  for (const s of sessions) {
    const st = s.mediaStats();
    sent += st.packetsSent;
    received += st.packetsReceived;
    lost += st.lost;
    concealed += st.framesConcealed;
  }
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, value: number | string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  const histogram = (
    name: string,
    help: string,
    h: LatencyHistogram,
    buckets: readonly number[],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const le of buckets) lines.push(`${name}_bucket{le="${le}"} ${h.countAtMost(le)}`);
    lines.push(
      `${name}_bucket{le="+Inf"} ${h.count}`,
      `${name}_sum ${h.sum}`,
      `${name}_count ${h.count}`,
    );
  };
  const { histograms } = manager;
  metric("bridge_sessions_active", "gauge", "Calls in progress.", sessions.length);
  metric("bridge_sessions_created_total", "counter", "Sessions created.", manager.counters.created);
  metric(
    "bridge_sessions_refused_total",
    "counter",
    "Sessions refused at capacity.",
    manager.counters.refused,
  );
  metric(
    "bridge_offers_rejected_total",
    "counter",
    "Offers that could not be answered.",
    manager.counters.failedOffers,
  );
  metric(
    "bridge_outbound_offers_pending",
    "gauge",
    "Business-initiated call offers waiting for Meta's call id (counted against capacity).",
    pendingOffers,
  );
  metric("bridge_draining", "gauge", "1 while shutting down.", manager.draining ? 1 : 0);
  metric("bridge_cpu_percent", "gauge", "Process CPU, percent of one core.", cpuPercent.toFixed(1));
  metric("bridge_rtp_packets_sent", "gauge", "RTP packets sent by live calls.", sent);
  metric("bridge_rtp_packets_received", "gauge", "RTP packets received by live calls.", received);
  metric("bridge_rtp_packets_lost", "gauge", "Caller packets lost (live calls).", lost);
  metric(
    "bridge_frames_concealed",
    "gauge",
    "Caller frames concealed by FEC/PLC (live calls).",
    concealed,
  );
  histogram(
    "bridge_inbound_frame_ms",
    "Caller→agent processing per 20 ms frame.",
    histograms.inboundMs,
    FRAME_BUCKETS_MS,
  );
  histogram(
    "bridge_outbound_frame_ms",
    "Agent→caller processing per 20 ms frame.",
    histograms.outboundMs,
    FRAME_BUCKETS_MS,
  );
  histogram(
    "bridge_pacing_late_ms",
    "Lateness of each call's send against the drift-free 20 ms schedule.",
    histograms.pacingLateMs,
    PACING_BUCKETS_MS,
  );
  histogram(
    "bridge_send_interval_deviation_ms",
    "|interval between a call's consecutive packets − 20 ms|: outbound jitter.",
    histograms.sendIntervalDeviationMs,
    PACING_BUCKETS_MS,
  );
  // Spend and turn latency (`bridge/figures/`).
  lines.push(figuresMetrics.render());
  return lines.join("\n") + "\n";
}
