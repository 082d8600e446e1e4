/**
 * `GET /metrics` in Prometheus text format: live calls, admission, RTP and the
 * per-frame processing and pacing figures the benchmarks also report.
 *
 * @module
 */
import { LatencyHistogram } from "../media/latency_histogram.ts";
import type { SessionManager } from "../session/session_manager.ts";

/** Renders the metrics page. */
export function renderMetrics(manager: SessionManager, cpuPercent: number): string {
  const sessions = manager.list();
  const inbound = new LatencyHistogram(50, 0.01);
  const outbound = new LatencyHistogram(50, 0.01);
  const pacing = new LatencyHistogram(200, 0.05);
  let sent = 0, received = 0, lost = 0, concealed = 0;
  for (const s of sessions) {
    inbound.merge(s.media.inboundMs);
    outbound.merge(s.media.outboundMs);
    pacing.merge(s.media.pacingLateMs);
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
  const quantiles = (name: string, help: string, h: LatencyHistogram) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
    for (const q of [0.5, 0.99]) lines.push(`${name}{quantile="${q}"} ${h.percentile(q * 100)}`);
    lines.push(`${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
  };
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
  quantiles("bridge_inbound_frame_ms", "Caller→agent processing per 20 ms frame.", inbound);
  quantiles("bridge_outbound_frame_ms", "Agent→caller processing per 20 ms frame.", outbound);
  quantiles("bridge_pacing_late_ms", "Lateness of the 20 ms send clock.", pacing);
  return lines.join("\n") + "\n";
}
