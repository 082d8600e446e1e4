/**
 * The page shell every console page renders into: navigation, the CSRF token
 * for scripts, and only same-origin styles and scripts (the CSP allows no
 * inline script). Values interpolated with `html` are escaped.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ConsoleEnv } from "./context.ts";

/** Markup as `html` returns it. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The console's sections, in navigation order. */
export const NAV = [
  { href: "/live", label: "Live" },
  { href: "/calls", label: "History" },
  { href: "/analytics", label: "Analytics" },
  { href: "/agents", label: "Agents" },
  { href: "/talk", label: "Talk to your agent" },
] as const;

/** What a page puts in the shell. */
export interface PageOptions {
  /** The `<title>` and `<h1>`. */
  title: string;
  body: Markup;
  /** Module scripts under `/static/`, e.g. `live.js`. */
  scripts?: readonly string[];
  /** Stylesheets under `/static/` beyond `console.css`. */
  styles?: readonly string[];
  /** Which `NAV` entry is current. */
  section?: typeof NAV[number]["href"];
}

/** The whole page for `options`, as an HTML response. */
export function renderPage(
  c: Context<ConsoleEnv>,
  options: PageOptions,
): Response | Promise<Response> {
  const user = c.get("user");
  const nav = NAV.map((item) =>
    html`<li><a href="${item.href}"${
      item.href === options.section
        ? html`
          aria-current="page"
        `
        : ""
    }>${item.label}</a></li>`
  );
  return c.html(html`
    <!doctype html>
    <html lang="en">
      <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="csrf-token" content="${c.get("csrfToken")}">
    <title>${options.title} · WhatsApp voice console</title>
    <link rel="stylesheet" href="/static/console.css">
    ${(options.styles ?? []).map((s) => html`<link rel="stylesheet" href="/static/${s}">`)}
    ${(options.scripts ?? []).map((s) => html`<script type="module" src="/static/${s}"></script>`)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <nav aria-label="Console">
            <ul>${nav}</ul>
          </nav>
          <div class="who"><span>${user.email ?? user.id} <span class="role">(${user
            .role})</span></span>
    <form method="post" action="/signout"><input type="hidden" name="_csrf" value="${c.get(
      "csrfToken",
    )}"><button type="submit" class="secondary">Sign out</button></form></div>
        </header>
        <main id="main">
    <h1>${options.title}</h1>
    ${options.body}
        </main>
      </body>
    </html>
  `);
}
