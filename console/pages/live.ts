/**
 * PLACEHOLDER: replaced by its owner. Mounted by `console/server/app.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "../server/context.ts";

/** The page's routes. */
export function liveRoutes(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  return new Hono<ConsoleEnv>();
}
