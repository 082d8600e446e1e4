/**
 * Whether a finished response reached the caller: it failed when the service
 * says so (`status: "failed"` with `status_details.error`) and when it wrote
 * text but spoke no audio, which a phone caller cannot hear (the Realtime
 * model can fall back to text; see `historySummary` in session_config.ts).
 *
 * @module
 */
import type { RealtimeResponse } from "../../lib/realtime/server_events.ts";

/** How a finished response ended for the caller. */
export interface ResponseOutcome {
  /** Why the caller heard nothing, e.g. `failed: rate_limit_exceeded`, `text_only`; absent: fine. */
  failure?: string;
  /** The items that carry a text-only answer: to delete, so the model does not build on them. */
  textItems: string[];
}

/** Tracks what each response of a session produced until its `response.done`. */
export class ResponseOutcomes {
  readonly #spoke = new Set<string>();
  readonly #wrote = new Map<string, Set<string>>();

  /** `response.output_audio.delta` of `responseId`. */
  audio(responseId: string): void {
    this.#spoke.add(responseId);
  }

  /** `response.output_text.delta` of `responseId`, in `itemId`. */
  text(responseId: string, itemId: string): void {
    const items = this.#wrote.get(responseId) ?? new Set<string>();
    items.add(itemId);
    this.#wrote.set(responseId, items);
  }

  /** `response.done`: the outcome, after which the response is forgotten. */
  settle(r: RealtimeResponse): ResponseOutcome {
    const spoke = this.#spoke.delete(r.id);
    const wrote = [...(this.#wrote.get(r.id) ?? [])];
    this.#wrote.delete(r.id);
    if (r.status === "failed") {
      const error = r.status_details?.error;
      return { failure: `failed: ${error?.code ?? error?.type ?? "unknown"}`, textItems: [] };
    }
    if (r.status === "completed" && wrote.length > 0 && !spoke) {
      return { failure: "text_only", textItems: wrote };
    }
    return { textItems: [] };
  }

  /** The session dropped: its responses will never be done. */
  clear(): void {
    this.#spoke.clear();
    this.#wrote.clear();
  }
}
