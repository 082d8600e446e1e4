/**
 * The page shell every console page renders into: navigation, the CSRF token
 * for scripts, and only same-origin styles and scripts (the CSP allows no
 * inline script). Values interpolated with `html` are escaped.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { ConsoleEnv } from "./context.ts";
import { type Markup, pageShell } from "./page_shell.ts";

export type { Markup };

/** The console's sections, in navigation order. */
export const NAV = [
  { href: "/live", label: "Live" },
  { href: "/calls", label: "History" },
  { href: "/analytics", label: "Analytics" },
  { href: "/agents", label: "Agents" },
  { href: "/talk", label: "Talk to your agent" },
  { href: "/outbound", label: "Call a customer" },
  { href: "/campaigns", label: "Campaigns" },
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
  return c.html(pageShell({
    title: options.title,
    head: [
      html`<meta name="csrf-token" content="${c.get("csrfToken")}">`,
      ...(options.styles ?? []).map((s) => html`<link rel="stylesheet" href="/static/${s}">`),
      ...(options.scripts ?? []).map((s) =>
        html`<script type="module" src="/static/${s}"></script>`
      ),
    ],
    header: html`
      <nav aria-label="Console">
        <ul>${nav}</ul>
      </nav>
      <div class="who"><span>${user.email ?? user.id} <span class="role">(${user
        .role})</span></span>
      <form method="post" action="/signout"><input type="hidden" name="_csrf" value="${c.get(
        "csrfToken",
      )}"><button type="submit" class="secondary">Sign out</button></form></div>
    `,
    body: options.body,
  }));
}
