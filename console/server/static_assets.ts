/**
 * `/static/*`: the console's own files from `console/static/` and a few named
 * files of npm packages (resolved in Deno's npm cache, so nothing is fetched
 * from a CDN). Served without sign-in: they are code and styles, no data.
 *
 * @module
 */
import { createRequire } from "node:module";
import { Hono } from "hono";

const CONTENT_TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  woff2: "font/woff2",
  json: "application/json",
};

/** The npm files the console serves, by their URL under `/static/vendor/`. */
export const VENDOR_ASSETS: Readonly<Record<string, string>> = {
  "uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
  "uPlot.esm.js": "uplot/dist/uPlot.esm.js",
  "uPlot.min.css": "uplot/dist/uPlot.min.css",
};

/** Own files: one path segment, no dot-files, a known extension. */
const OWN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.([a-z0-9]+)$/;

const STATIC_DIR = new URL("../static/", import.meta.url);

function contentType(name: string): string | undefined {
  return CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)];
}

async function readAsset(
  path: string | URL,
): Promise<{ body: Uint8Array<ArrayBuffer>; etag: string } | null> {
  try {
    const body: Uint8Array<ArrayBuffer> = await Deno.readFile(path);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const etag = `"${
      Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")
    }"`;
    return { body, etag };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      return null;
    }
    throw error;
  }
}

function resolveVendor(specifier: string): string | null {
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch {
    return null;
  }
}

/**
 * The static routes. Own files revalidate on every load (`no-cache` + ETag) so
 * an edit shows at once; npm files are pinned by the lock file and cached for a day.
 */
export function staticRoutes(staticDir: URL = STATIC_DIR): Hono {
  const app = new Hono();
  const serve = async (
    ifNoneMatch: string | undefined,
    path: string | URL,
    name: string,
    cache: string,
  ): Promise<Response | null> => {
    const type = contentType(name);
    const asset = type === undefined ? null : await readAsset(path);
    if (type === undefined || asset === null) return null;
    const headers = { "content-type": type, "cache-control": cache, etag: asset.etag };
    if (ifNoneMatch === asset.etag) return new Response(null, { status: 304, headers });
    return new Response(asset.body, { headers });
  };
  app.get("/static/vendor/:name", async (c) => {
    const specifier = VENDOR_ASSETS[c.req.param("name")];
    const path = specifier === undefined ? null : resolveVendor(specifier);
    const res = path === null ? null : await serve(
      c.req.header("if-none-match"),
      path,
      c.req.param("name"),
      "public, max-age=86400",
    );
    return res ?? c.text("Not found", 404);
  });
  // Browsers ask for it on every page; without this it would be a sign-in redirect.
  app.get(
    "/favicon.ico",
    async (c) =>
      await serve(
        c.req.header("if-none-match"),
        new URL("favicon.svg", staticDir),
        "favicon.svg",
        "no-cache",
      ) ??
        c.body(null, 204),
  );
  app.get("/static/:name", async (c) => {
    const name = c.req.param("name");
    const res = OWN_NAME.test(name) && !name.includes("..")
      ? await serve(c.req.header("if-none-match"), new URL(name, staticDir), name, "no-cache")
      : null;
    return res ?? c.text("Not found", 404);
  });
  return app;
}
