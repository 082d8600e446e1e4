/**
 * The shell of pages shown before sign-in (sign-in form, refusals): the same
 * stylesheet and landmarks as `layout.ts`, without navigation or a user.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import { type Markup, pageShell } from "../page_shell.ts";

/** A whole page with `title` and `body`, with `status`. */
export function renderBarePage(
  c: Context,
  options: { title: string; body: Markup; status?: 200 | 401 | 403 | 404 | 503 },
): Response | Promise<Response> {
  return c.html(
    pageShell({
      title: options.title,
      bodyClass: "bare",
      header: html`<p class="brand">WhatsApp voice console</p>`,
      body: options.body,
    }),
    options.status ?? 200,
  );
}
