/**
 * The HTML document every console page sits in, signed in (`layout.ts`) or
 * not (`auth/bare_page.ts`): language, viewport, the title suffix, the one
 * stylesheet, the skip link and the landmarks. One copy so the two kinds of
 * page cannot drift apart in what axe-core checks.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Markup as `html` returns it. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What fills the document. */
export interface ShellParts {
  /** The `<title>` (suffixed with the console's name) and the `<h1>`. */
  title: string;
  /** More of `<head>` after `console.css`: meta tags, stylesheets, module scripts. */
  head?: Markup | Markup[];
  /** Class of `<body>`, e.g. `bare`. */
  bodyClass?: string;
  /** Contents of the page `<header>`. */
  header: Markup;
  /** Contents of `<main>` after the `<h1>`. */
  body: Markup;
}

/** The whole document for `parts`; interpolated values are escaped. */
export function pageShell(parts: ShellParts): Markup {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${parts.title} · WhatsApp voice console</title>
        <link rel="stylesheet" href="/static/console.css">
        ${parts.head ?? ""}
      </head>
      ${parts.bodyClass === undefined ? html`<body>` : html`<body class="${parts.bodyClass}">`}
        <a class="skip" href="#main">Skip to content</a>
        <header>${parts.header}</header>
        <main id="main">
          <h1>${parts.title}</h1>
          ${parts.body}
        </main>
      </body>
    </html>
  `;
}
