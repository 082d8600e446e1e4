/**
 * The Agents list's markup: the "Set up a number" form (so a number can be
 * configured before its first call) and the table of numbers with settings
 * or calls. Server-rendered, escaped by `hono/html`, no script needed.
 *
 * @module
 */
import { html } from "hono/html";
import type { Markup } from "../server/layout.ts";
import type { AgentNumber } from "../../store/agent_settings.ts";

/** A time as the page shows it, UTC; `—` for none. */
export const when = (d: Date | null): string =>
  d === null ? "—" : d.toISOString().replace("T", " ").slice(0, 19) + " UTC";

/** The list of numbers. */
export function numbersTable(numbers: readonly AgentNumber[]): Markup {
  if (numbers.length === 0) {
    return html`<p>No numbers yet: a number appears here once it has settings or has been called.
      To configure one before its first call, use "Set up a number" above.</p>`;
  }
  return html`
    <div class="table-wrap">
      <table>
        <caption>Business numbers (<code>phone_number_id</code>)</caption>
        <thead>
          <tr>
            <th scope="col">Number id</th>
            <th scope="col">Settings</th>
            <th scope="col">Last saved</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>${numbers.map((n) =>
          html`
            <tr>
              <td><a href="/agents/${n.phoneNumberId}">${n.phoneNumberId}</a></td>
              <td>${n.version === null ? "Environment defaults" : `Version ${n.version}`}</td>
              <td>${when(n.updatedAt)}</td>
              <td>${n.updatedBy ?? "—"}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

/** The "Set up a number" form: what was typed, and why it was refused. */
export interface SetUpView {
  value: string;
  error?: string;
}

/**
 * A GET form that opens a number's settings page, so a number can be set up
 * before its first call (the list shows only numbers with settings or calls).
 */
export function setUpForm(v: SetUpView): Markup {
  const by = v.error ? "h-setup e-setup" : "h-setup";
  return html`
    <section aria-labelledby="setup-h">
      <h2 id="setup-h">Set up a number</h2>
      <form method="get" action="/agents" class="setup" aria-labelledby="setup-h">
        <p><label for="f-setup">Number id (<code>phone_number_id</code>)</label>
          <input id="f-setup" name="phone_number_id" type="text" inputmode="numeric"
            pattern="[0-9]+" maxlength="64" required autocomplete="off" value="${v.value}"
            aria-describedby="${by}"${v.error
              ? html`
                aria-invalid="true"
              `
              : ""}>
          <span class="muted" id="h-setup">Digits, from WhatsApp Manager's API Setup. Opens the
            number's settings; nothing is saved until you save them there.</span>${v.error
              ? html`<span class="error" id="e-setup" role="alert">${v.error}</span>`
              : ""}</p>
        <p><button type="submit" id="setup-open">Open settings</button></p>
      </form>
    </section>
  `;
}
