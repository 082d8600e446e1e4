/**
 * The Call page's sections, rendered from what the store holds about one
 * call. Callers go through `partyLabel` (masked for viewers); every value is
 * escaped by `html`.
 *
 * @module
 */
import { html } from "hono/html";
import { z } from "zod";
import type { Markup } from "../server/layout.ts";
import type { CallEvent, CallRecord, Transcript } from "../../store/store.ts";
import type { CallFigures } from "../../store/figures.ts";
import type { CallAnalysis } from "../../store/analysis.ts";
import type { OutboxWebhook } from "../../store/call_webhooks.ts";
import { callErrorCodes, explainMetaError } from "../../lib/whatsapp/meta_errors.ts";
import { buildTimeline, callStart } from "./call_timeline.ts";
import type { ConsoleUser } from "../server/context.ts";
import {
  callHref,
  formatDuration,
  formatMs,
  formatUsd,
  partyLabel,
  statusBadge,
  testCallBadge,
} from "./call_format.ts";

/** Everything the page shows. */
export interface CallView {
  call: CallRecord;
  events: CallEvent[];
  transcripts: Transcript[];
  figures: CallFigures | null;
  analysis: CallAnalysis | null;
  webhooks: OutboxWebhook[];
  /** The recording's first frame on the wall clock; `null`: lines cannot be placed in it. */
  origin: Date | null;
  hasRecording: boolean;
  /** Who reads: numbers and user ids are masked for viewers. */
  user: ConsoleUser;
}

/** The page body. */
export function callSections(v: CallView): Markup {
  return html`${overview(v)}${failure(v.call)}${playback(v)}${timeline(v)}${figures(v.figures)}${
    analysis(v.analysis)
  }${webhooks(v.webhooks)}`;
}

const dt = (label: string, value: Markup | string) =>
  html`
    <dt>${label}</dt>
    <dd>${value}</dd>
  `;

function overview({ call, user }: CallView): Markup {
  return html`
    <section aria-labelledby="h-overview">
      <h2 id="h-overview">Overview</h2>
      ${call.testCall
        ? html`
          <p
            class="test-note">${testCallBadge(
              true,
            )} Placed from Talk to your agent, not by a WhatsApp caller. Analytics leaves it out.</p>
        `
        : ""}
      <dl class="facts">
    ${dt("Call id", html`<code>${call.callId}</code>`)}
    ${dt("Started", callStart(call).toISOString())}
    ${dt(
      "Direction",
      call.direction === "business_initiated" ? "we called" : "the caller called us",
    )}
    ${dt("From", partyLabel(user, call, "from"))}${dt("To", partyLabel(user, call, "to"))}
    ${dt("Number id", call.phoneNumberId ?? "—")}
    ${dt("Status", html`${statusBadge(call.status)}${testCallBadge(call.testCall)}`)}
    ${dt("Duration", formatDuration(call.durationSeconds))}
    ${dt("End reason", call.endReason ?? "—")}
    ${dt("Meta's status", call.metaStatus ?? "—")}
      </dl>
      <p><a href="${callHref(
        call.callId,
      )}">Permanent link</a> · <a href="/calls">Back to the history</a></p>
    </section>
  `;
}

function failure(call: CallRecord): Markup {
  const codes = callErrorCodes(call.metaErrorCode, call.metaErrorCodes);
  if (codes.length === 0) return html``;
  return html`<section aria-labelledby="h-failure" class="notice"><h2 id="h-failure">Why the call failed</h2>
${
    codes.map((code) => {
      const e = explainMetaError(code);
      return html`<h3>Meta error ${code}: ${e.title}</h3>
<p>${e.explanation}${
        e.confirmed ? "" : " (Not in Meta's documentation: from implementers' reports.)"
      }</p>
${e.action === "" ? "" : html`<p><strong>What to check:</strong> ${e.action}</p>`}`;
    })
  }</section>`;
}

/** Seconds with two decimals, as `data-start` carries them. */
const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(2);

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function playback({ call, transcripts, origin, hasRecording }: CallView): Markup {
  const player = hasRecording
    ? html`<audio id="recording" controls preload="metadata" src="${
      callHref(call.callId)
    }/recording">
<a href="${callHref(call.callId)}/recording">Download the recording</a></audio>
<p class="muted">Caller on the left channel, agent on the right.</p>`
    : html`<p>No recording for this call.</p>`;
  const base = (origin ?? callStart(call)).getTime();
  const lines = transcripts.map((l) => {
    const start = l.startedAt.getTime() - base;
    const end = l.endedAt.getTime() - base;
    const who = l.speaker === "caller" ? "Caller" : "Agent";
    return html`
      <li
        class="${l.speaker}"><button type="button" class="line" data-start="${secs(
          start,
        )}" data-end="${secs(end)}"${hasRecording && origin !== null ? "" : html`
          disabled
        `}><span class="at">${clock(start)}</span> <span class="who">${who}:</span> ${l
          .text}${l.interrupted
          ? html`
            <span class="muted">(cut off)</span>
          `
          : ""}</button></li>
    `;
  });
  return html`<section aria-labelledby="h-playback"><h2 id="h-playback">Recording and transcript</h2>
${player}
${
    transcripts.length === 0 ? html`<p>No transcript was kept for this call.</p>` : html`
      <p class="muted"
        id="transcript-help">Choose a line to play the recording from there; the line being heard is marked.</p>
      <ol class="transcript" aria-describedby="transcript-help">${lines}</ol>
    `
  }</section>`;
}

function timeline({ call, events, transcripts }: CallView): Markup {
  const entries = buildTimeline(call, events, transcripts);
  return html`
    <section aria-labelledby="h-timeline">
      <h2 id="h-timeline">Timeline</h2>
      <div class="table-wrap">
        <table class="timeline">
          <caption>From the webhook's arrival (0 ms) to the hang-up</caption>
          <thead>
            <tr>
              <th scope="col" class="num">Time</th>
              <th scope="col">What happened</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>${entries.map((e) =>
            html`
              <tr class="${e.kind}">
                <td class="num">+${formatMs(e.atMs)}</td>
                <td>${e.label}</td>
                <td>${e.detail ?? ""}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </div>
    </section>
  `;
}

const costSchema = z.looseObject({
  openai: z.looseObject({
    totalUsd: z.number(),
    models: z.array(z.looseObject({ model: z.string(), totalUsd: z.number() })),
  }).optional(),
  meta: z.looseObject({ usd: z.number(), pulses: z.number(), billedSeconds: z.number() })
    .optional(),
  unpriced: z.array(z.string()).optional(),
});

const latencySchema = z.looseObject({ turnsMs: z.array(z.number()).optional() });

function figures(f: CallFigures | null): Markup {
  if (f === null) {
    return html`
      <section aria-labelledby="h-figures">
        <h2 id="h-figures">Cost and latency</h2>
        <p>Not settled yet: figures are computed once the call has ended.</p>
      </section>
    `;
  }
  const cost = costSchema.safeParse(f.cost).data;
  const turns = latencySchema.safeParse(f.latency).data?.turnsMs ?? [];
  const rows = [
    ...(cost?.openai?.models ?? []).map((m) =>
      [`OpenAI ${m.model}`, formatUsd(m.totalUsd)] as const
    ),
    ...(cost?.meta === undefined ? [] : [
      [
        `Meta (${cost.meta.pulses} pulses, ${cost.meta.billedSeconds} s billed)`,
        formatUsd(cost.meta.usd),
      ] as const,
    ]),
  ];
  return html`<section aria-labelledby="h-figures"><h2 id="h-figures">Cost and latency</h2>
<table class="figures"><caption>Cost breakdown (USD)</caption>
<thead><tr><th scope="col">Part</th><th scope="col" class="num">Cost</th></tr></thead>
<tbody>${
    rows.map(([k, v]) =>
      html`
        <tr>
          <td>${k}</td>
          <td class="num">${v}</td>
        </tr>
      `
    )
  }
<tr><th scope="row">Total</th><td class="num">${formatUsd(f.costUsd)}</td></tr></tbody></table>
${
    (cost?.unpriced ?? []).length === 0
      ? ""
      : html`<p class="muted">Not priced (not in the total): ${cost!.unpriced!.join(", ")}</p>`
  }
<dl class="facts">
${dt("Webhook → accept", formatMs(f.webhookToAcceptMs))}
${dt("Accept → first agent audio", formatMs(f.acceptToFirstAudioMs))}
${dt("Turns measured", String(f.turnCount))}
${dt("Turn latency p50 / p95", `${formatMs(f.turnP50Ms)} / ${formatMs(f.turnP95Ms)}`)}
</dl>
${
    turns.length === 0 ? "" : html`
      <table class="figures">
        <caption>Latency of each turn</caption>
        <thead>
          <tr>
            <th scope="col">Turn</th>
            <th scope="col" class="num">Caller stops → agent audio</th>
          </tr>
        </thead>
        <tbody>${turns.map((ms, i) =>
          html`
            <tr>
              <td>${i + 1}</td>
              <td class="num">${formatMs(ms)}</td>
            </tr>
          `
        )}</tbody>
      </table>
    `
  }</section>`;
}

function analysis(a: CallAnalysis | null): Markup {
  const head = html`<h2 id="h-analysis">Summary and outcome</h2>`;
  if (a === null || a.status !== "analysed") {
    const why = a === null
      ? "Not analysed yet."
      : a.status === "failed"
      ? `The analysis failed: ${a.reason ?? "no reason given"}.`
      : "Not analysed (no OpenAI key, or nothing was said).";
    return html`<section aria-labelledby="h-analysis">${head}<p>${why}</p></section>`;
  }
  const fields = Object.entries(a.fields ?? {});
  return html`<section aria-labelledby="h-analysis">${head}
<dl class="facts">${dt("Outcome", a.outcome ?? "—")}${dt("Summary", a.summary ?? "—")}${
    fields.map(([k, v]) => dt(k, typeof v === "string" ? v : JSON.stringify(v)))
  }</dl></section>`;
}

function webhooks(list: OutboxWebhook[]): Markup {
  const head = html`<h2 id="h-webhooks">Webhook deliveries</h2>`;
  if (list.length === 0) {
    return html`
      <section
        aria-labelledby="h-webhooks">${head}<p>No end-of-call webhook for this call.</p></section>
    `;
  }
  return html`<section aria-labelledby="h-webhooks">${head}<div class="table-wrap"><table>
<caption>Signed end-of-call webhooks</caption>
<thead><tr><th scope="col">Event</th><th scope="col">State</th><th scope="col" class="num">Attempts</th>
<th scope="col">Last answer</th><th scope="col">Next retry</th></tr></thead>
<tbody>${
    list.map((w) =>
      html`
        <tr>
          <td><code>${w.type}</code></td>
          <td>${w.state}</td>
          <td class="num">${w.attempts}</td>
          <td>${w.lastStatus === null ? (w.lastError ?? "—") : `HTTP ${w.lastStatus}`}</td>
          <td>${w.state === "pending" ? w.nextAttemptAt.toISOString() : "—"}</td>
        </tr>
      `
    )
  }</tbody></table></div></section>`;
}
