/**
 * The shell of pages shown before sign-in (sign-in form, refusals): the same
 * stylesheet and landmarks as `layout.ts`, without navigation or a user.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { Markup } from "../layout.ts";

/** A whole page with `title` and `body`, with `status`. */
export function renderBarePage(
  c: Context,
  options: { title: string; body: Markup; status?: 200 | 401 | 403 | 404 | 503 },
): Response | Promise<Response> {
  return c.html(
    html`
      <!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>${options.title} · WhatsApp voice console</title>
          <link rel="stylesheet" href="/static/console.css">
        </head>
        <body class="bare">
          <a class="skip" href="#main">Skip to content</a>
          <header>
            <p class="brand">WhatsApp voice console</p>
          </header>
          <main id="main">
      <h1>${options.title}</h1>
      ${options.body}
          </main>
        </body>
      </html>
    `,
    options.status ?? 200,
  );
}
