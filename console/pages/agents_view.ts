/**
 * The Agents page's markup: the settings form (every
 * field labelled, the environment's default as its placeholder or hint,
 * errors tied to their field) and the version history. Server-rendered,
 * escaped by `hono/html`, no script needed.
 *
 * @module
 */
import { html } from "hono/html";
import type { Markup } from "../server/layout.ts";
import type { AgentDefaults } from "../../lib/agent_settings/defaults.ts";
import {
  type AgentSettings,
  type AgentSettingsField,
  changedFields,
  DEFAULT_OUTSIDE_HOURS_MESSAGE,
  REALTIME_VOICES,
  WEEKDAYS,
} from "../../lib/agent_settings/schema.ts";
import { EAGERNESS } from "../../lib/realtime/session.ts";
import type { AgentSettingsVersion } from "../../store/agent_settings.ts";
import { when } from "./agents_list_view.ts";
import type { AgentForm, FieldErrors, FormField, TextField } from "./agents_form.ts";

/** The label of each setting, as the form and the history show it. */
export const SETTING_LABELS: Record<AgentSettingsField, string> = {
  instructions: "Instructions",
  greeting: "Greeting",
  voice: "Voice",
  model: "Model",
  language: "Language",
  tools: "Tools",
  turnDetection: "Turn detection",
  recording: "Recording",
  maxCallSeconds: "Maximum call length",
  callHours: "Call hours",
};

const DAY_NAMES: Record<typeof WEEKDAYS[number], string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

/** What the form needs. */
export interface FormView {
  phoneNumberId: string;
  form: AgentForm;
  expectedVersion: number;
  defaults: AgentDefaults;
  errors: FieldErrors;
  csrfToken: string;
  editable: boolean;
}

const ids = (name: FormField) => ({ id: `f-${name}`, hint: `h-${name}`, error: `e-${name}` });

/** `aria-describedby` and `aria-invalid` for a control. */
function described(v: FormView, name: FormField, hint: boolean): Markup {
  const i = ids(name);
  const by = [hint ? i.hint : "", v.errors[name] ? i.error : ""].filter((s) => s).join(" ");
  return html`${
    by
      ? html`
        aria-describedby="${by}"
      `
      : ""
  }${
    v.errors[name]
      ? html`
        aria-invalid="true"
      `
      : ""
  }`;
}

function fieldText(v: FormView, name: FormField, hint: string | undefined): Markup {
  const i = ids(name);
  return html`${hint ? html`<span class="muted" id="${i.hint}">${hint}</span>` : ""}${
    v.errors[name] ? html`<span class="error" id="${i.error}">${v.errors[name]}</span>` : ""
  }`;
}

function input(
  v: FormView,
  name: TextField,
  label: string,
  attrs: { type?: string; placeholder?: string; hint?: string; extra?: Markup } = {},
): Markup {
  const i = ids(name);
  return html`<p><label for="${i.id}">${label}</label>
    <input id="${i.id}" name="${name}" type="${attrs.type ?? "text"}" value="${v.form[name]}"${
    attrs.placeholder
      ? html`
        placeholder="${attrs.placeholder}"
      `
      : ""
  }${attrs.extra ?? ""}${described(v, name, attrs.hint !== undefined)}>
    ${fieldText(v, name, attrs.hint)}</p>`;
}

function select(
  v: FormView,
  name: TextField,
  label: string,
  options: ReadonlyArray<readonly [string, string]>,
  hint?: string,
): Markup {
  const i = ids(name);
  return html`<p><label for="${i.id}">${label}</label>
    <select id="${i.id}" name="${name}"${described(v, name, hint !== undefined)}>${
    options.map(([value, text]) =>
      html`
        <option value="${value}" ${v.form[name] === value ? " selected" : ""}>${text}</option>
      `
    )
  }</select>${fieldText(v, name, hint)}</p>`;
}

function textarea(
  v: FormView,
  name: TextField,
  label: string,
  hint: string,
  placeholder: string,
): Markup {
  const i = ids(name);
  return html`<p><label for="${i.id}">${label}</label>
    <textarea id="${i.id}" name="${name}" placeholder="${placeholder}"${described(v, name, true)}>${
    v.form[name]
  }</textarea>${fieldText(v, name, hint)}</p>`;
}

function toolsFieldset(v: FormView): Markup {
  const names = [...new Set([...v.defaults.tools, ...v.form.tools])];
  const custom = v.form.tools_mode === "custom";
  return html`<fieldset><legend>Tools</legend>
    <p class="muted" id="h-tools">The hang-up tool (<code>end_call</code>) is always on.</p>
    <p><input type="radio" id="f-tools_mode-default" name="tools_mode" value="default"${
    custom ? "" : " checked"
  }> <label class="inline" for="f-tools_mode-default">Default: every tool of <code>AGENT_TOOLS</code>${
    v.defaults.tools.length ? ` (${v.defaults.tools.join(", ")})` : " (none configured)"
  }</label></p>
    <p><input type="radio" id="f-tools_mode-custom" name="tools_mode" value="custom"${
    custom ? " checked" : ""
  }> <label class="inline" for="f-tools_mode-custom">Only the tools ticked below</label></p>
    ${
    names.map((t, k) =>
      html`<p><input type="checkbox" id="f-tool-${k}" name="tools" value="${t}"${
        v.form.tools.includes(t) ? " checked" : ""
      }> <label class="inline" for="f-tool-${k}">${t}</label></p>`
    )
  }${v.errors.tools ? html`<span class="error" id="e-tools">${v.errors.tools}</span>` : ""}
  </fieldset>`;
}

function turnFieldset(v: FormView): Markup {
  const d = v.defaults;
  return html`<fieldset><legend>Turn detection</legend>
    ${
    select(v, "td_type", "Mode", [
      ["", `Default (${d.turnDetection})`],
      ["server_vad", "Server VAD: silence ends the caller's turn"],
      ["semantic_vad", "Semantic VAD: the model judges when the caller is done"],
    ])
  }
    ${
    input(v, "td_threshold", "Server VAD threshold (0 to 1)", {
      type: "number",
      placeholder: String(d.vadThreshold),
      hint: "Higher ignores more background noise.",
      extra: html`
        min="0" max="1" step="0.05"
      `,
    })
  }
    ${
    input(v, "td_silence_ms", "Server VAD silence, ms (100 to 5000)", {
      type: "number",
      placeholder: String(d.vadSilenceMs),
      extra: html`
        min="100" max="5000" step="50"
      `,
    })
  }
    ${
    select(v, "td_eagerness", "Semantic VAD eagerness", [
      ["", `Default (${d.vadEagerness})`],
      ...EAGERNESS.map((e) => [e, e] as const),
    ])
  }
  </fieldset>`;
}

/** Whether the form, as filled in, gives call hours (every call-hours field empty: none). */
export function givesCallHours(f: AgentForm): boolean {
  return [f.tz, ...WEEKDAYS.map((d) => f[`hours_${d}`]), f.holidays, f.outside_message]
    .some((x) => x.trim() !== "");
}

/** One weekday's field, described by the group's hint and the group's error too. */
function dayInput(v: FormView, day: typeof WEEKDAYS[number]): Markup {
  const name = `hours_${day}` as const;
  const i = ids(name);
  const by = ["h-weekly", v.errors.weekly ? "e-weekly" : "", v.errors[name] ? i.error : ""]
    .filter((s) => s).join(" ");
  const invalid = v.errors[name] || v.errors.weekly;
  return html`<p><label for="${i.id}">${DAY_NAMES[day]}</label>
    <input id="${i.id}" name="${name}" type="text" value="${v.form[name]}"
      placeholder="09:00-13:00, 14:00-18:00" aria-describedby="${by}"${
    invalid
      ? html`
        aria-invalid="true"
      `
      : ""
  }>
    ${fieldText(v, name, undefined)}</p>`;
}

function hoursFieldset(v: FormView): Markup {
  const set = givesCallHours(v.form);
  return html`<fieldset><legend>Call hours</legend>
    <ul class="muted" id="h-callhours">
      <li><strong>No call hours</strong> (time zone, days, holidays and message all empty): the
        number answers at all hours, every day.</li>
      <li><strong>Call hours set</strong>: the number answers only within the opening hours given
        below; a day left empty is closed that day, and so is each holiday. At least one day needs
        opening hours. Outside them the caller hears the message, then the call ends (recorded as
        <code>outside_hours</code>).</li>
    </ul>
    <p class="hours-state" id="hours-state">${
    set
      ? html`As filled in: <strong>call hours set</strong>, calls are answered only within them.`
      : html`As filled in: <strong>no call hours</strong>, calls are answered at all hours.`
  }</p>
    ${
    input(v, "tz", "Time zone (IANA)", {
      placeholder: "Europe/Madrid",
      hint: "Opening hours follow this zone's clocks, daylight saving included.",
    })
  }
    <fieldset id="f-weekly"><legend>Opening hours by day</legend>
      <p class="muted" id="h-weekly">Times as HH:MM-HH:MM, several separated by commas. A day left
        empty is closed that day (when call hours are set).</p>
      ${v.errors.weekly ? html`<p class="error" id="e-weekly">${v.errors.weekly}</p>` : ""}
      ${WEEKDAYS.map((d) => dayInput(v, d))}
    </fieldset>
    ${
    textarea(
      v,
      "holidays",
      "Holidays",
      "Dates as YYYY-MM-DD, one a line: closed all day.",
      "2026-12-25",
    )
  }
    ${
    textarea(
      v,
      "outside_message",
      "Outside-hours message",
      "Short: it is said, then the call ends.",
      DEFAULT_OUTSIDE_HOURS_MESSAGE,
    )
  }
  </fieldset>`;
}

/** The settings form (every control disabled unless `editable`). */
export function settingsForm(v: FormView): Markup {
  const d = v.defaults;
  const errorCount = Object.keys(v.errors).length;
  return html`
    ${errorCount
      ? html`
        <div class="error" role="alert">
          <p>The settings were not saved: ${errorCount} field${errorCount === 1
            ? ""
            : "s"} to correct.</p>
          <ul>${Object.entries(v.errors).map(([f, m]) =>
            html`<li><a href="#f-${f}">${m}</a></li>`
          )}</ul>
        </div>
      `
      : ""}
      <form method="post" action="/agents/${v.phoneNumberId}" aria-label="Agent settings">
      <input type="hidden" name="_csrf" value="${v.csrfToken}">
      <input type="hidden" name="expected_version" value="${v.expectedVersion}">
      <p class="muted">An empty field uses the bridge's environment (shown as the placeholder). A
        change applies from the next call on.</p>
      <fieldset${v.editable ? "" : " disabled"}><legend>Agent</legend>
        ${textarea(v, "instructions", "Instructions", "The system prompt.", d.instructions)}
        ${input(v, "greeting", "Greeting", {
          placeholder: d.greeting ?? "(the model greets in its own words)",
          hint: "The agent's first words, said as written.",
        })}
        ${select(v, "voice", "Voice", [
          ["", `Default (${d.voice})`],
          ...REALTIME_VOICES.map((x) => [x, x] as const),
        ])}
        ${input(v, "model", "Model", { placeholder: d.model })}
        ${input(v, "language", "Language (ISO-639-1)", {
          placeholder: d.languages.join(",") || "detected",
          hint: "Two letters, e.g. es: the agent speaks it and transcription expects it.",
        })}
        ${toolsFieldset(v)}
        ${turnFieldset(v)}
        ${select(
          v,
          "recording",
          "Recording",
          [["", `Default (${d.recording ? "on" : "off"})`], ["on", "On"], ["off", "Off"]],
          "On needs the bridge's RECORDING=on.",
        )}
        ${input(v, "max_call_seconds", "Maximum call length, seconds (10 to 3600)", {
          type: "number",
          placeholder: String(d.maxCallSeconds),
          hint: `Never longer than the bridge's MAX_CALL_MINUTES (${d.maxCallSeconds} s).`,
          extra: html`
            min="10" max="3600" step="1"
          `,
        })}
        ${hoursFieldset(v)}
        </fieldset>
        ${v.editable
          ? html`<p><button type="submit" id="save-settings">Save</button></p>`
          : html`<p class="notice">Only an admin can change these settings.</p>`}
      </form>
  `;
}

/** A short, one-line rendering of a setting's value. */
function shortValue(value: unknown): string {
  if (value === undefined) return "default";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The version history: who, when, and what changed from the version before. */
export function historyTable(versions: readonly AgentSettingsVersion[]): Markup {
  if (versions.length === 0) {
    return html`<p>No saved versions: this number uses the environment's defaults.</p>`;
  }
  return html`
    <div class="table-wrap">
      <table>
        <caption>Version history, newest first</caption>
        <thead>
          <tr>
            <th scope="col" class="num">Version</th>
            <th scope="col">Saved by</th>
            <th scope="col">Saved at</th>
            <th scope="col">What changed</th>
          </tr>
        </thead>
        <tbody>${versions.map((v, k) => {
          const before: AgentSettings = versions[k + 1]?.settings ?? {};
          const changed = changedFields(before, v.settings);
          return html`
            <tr>
              <td class="num">${v.version}</td>
              <td>${v.changedBy ?? "—"}</td>
              <td>${when(v.changedAt)}</td>
              <td>${changed.length === 0
                ? "Nothing"
                : html`<ul>${
                  changed.map((f) =>
                    html`<li>${SETTING_LABELS[f]}: ${shortValue(before[f])} → ${
                      shortValue(v.settings[f])
                    }</li>`
                  )
                }</ul>`}</td>
            </tr>
          `;
        })}</tbody>
      </table>
    </div>
  `;
}
