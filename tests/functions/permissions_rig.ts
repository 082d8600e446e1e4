/**
 * Wiring for the call permission tests: the real `wa-webhook-core` and
 * `wa-call-permissions` handlers over one store, the fake Meta on a manual
 * clock, whose reply webhooks are signed and delivered to the core.
 *
 * @module
 */

import { createCoreHandler } from "../../supabase/functions/wa-webhook-core/index.ts";
import { createCallPermissionsHandler } from "../../supabase/functions/wa-call-permissions/index.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import {
  DEFAULT_BUSINESS,
  type Payload,
  signWebhook,
  textMessage,
} from "../../simulator/meta_webhooks.ts";
import type { Store } from "../../store/store.ts";
import { sharedStore, TEST_ENV } from "./harness.ts";

const BASE = "http://localhost/functions/v1";

/** A fresh WhatsApp number per test (the store is shared by the test process). */
export function newUser(): string {
  return `1631${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
}

/** The permission functions against the fake Meta. */
export interface PermissionsRig {
  store: Store;
  graph: FakeMetaGraph;
  /** The manual clock (Unix ms) of the API and the fake Meta. */
  clock: { now: number };
  /** POST /requests with `key`; `auth` null sends no Authorization. */
  request(body: unknown, key?: string | null, auth?: string | null): Promise<Response>;
  /** GET the permission of `user`. */
  read(user: string, extra?: string): Promise<Response>;
  /** POSTs a signed webhook to the core (the fake Meta sees it too) and waits for its routing. */
  deliver(payload: Payload | string): Promise<Response>;
  /** `user` sends a text `agoMs` before the clock, through the core: the window opens for both sides. */
  userWrote(user: string, agoMs?: number): Promise<void>;
  /** Waits for the fake's webhooks and the core's routing. */
  settle(): Promise<void>;
  /** The calls changes the core handed to voice-calls. */
  invoked: unknown[];
}

/** Builds the rig; the clock starts at `start`; `given` replaces the shared PGlite store. */
export async function permissionsRig(
  start = Date.UTC(2026, 11, 10, 9, 0, 0),
  given?: Store,
): Promise<PermissionsRig> {
  const store = given ?? await sharedStore();
  const clock = { now: start };
  const invoked: unknown[] = [];
  const env = {
    ...TEST_ENV,
    SUPABASE_URL: "http://supabase.invalid",
    WHATSAPP_PHONE_NUMBER_ID: DEFAULT_BUSINESS.phoneNumberId,
  };
  const core = createCoreHandler({
    env,
    store: () => Promise.resolve(store),
    invokeVoiceCalls: (body) => {
      invoked.push(body);
      return Promise.resolve();
    },
  });
  const toCore = (body: string, headers: Record<string, string>) =>
    core(new Request(`${BASE}/wa-webhook-core`, { method: "POST", headers, body }));
  const graph = new FakeMetaGraph({
    accessToken: TEST_ENV.WHATSAPP_ACCESS_TOKEN,
    now: () => clock.now,
    webhooks: {
      appSecret: TEST_ENV.WHATSAPP_APP_SECRET,
      send: async (w) => {
        const res = await toCore(w.body, w.headers);
        await res.body?.cancel();
        if (res.status !== 200) throw new Error(`core answered ${res.status}`);
      },
    },
  });
  const api = createCallPermissionsHandler({
    env: { ...env, WHATSAPP_GRAPH_URL: "https://graph.example.test/v23.0" },
    store: () => Promise.resolve(store),
    fetch: graph.fetch,
    now: () => clock.now,
  });
  const bearer = `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}`;
  const settle = async () => {
    await graph.flushWebhooks();
    await core.settled();
  };
  const deliver = async (payload: Payload | string) => {
    const w = await signWebhook(payload, TEST_ENV.WHATSAPP_APP_SECRET);
    graph.observeWebhook(w);
    const res = await toCore(w.body, w.headers);
    await core.settled();
    return res;
  };
  return {
    store,
    graph,
    clock,
    invoked,
    request(body, key = crypto.randomUUID(), auth = bearer) {
      const headers = new Headers({ "content-type": "application/json" });
      if (key !== null) headers.set("idempotency-key", key);
      if (auth !== null) headers.set("authorization", auth);
      return api(
        new Request(`${BASE}/wa-call-permissions/requests`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        }),
      );
    },
    read(user, extra = "") {
      return api(
        new Request(`${BASE}/wa-call-permissions?user=${user}${extra}`, {
          headers: { authorization: bearer },
        }),
      );
    },
    deliver,
    async userWrote(user, agoMs = 0) {
      const res = await deliver(textMessage({
        user,
        messageId: `wamid.T${crypto.randomUUID()}`,
        timestamp: Math.floor((clock.now - agoMs) / 1000),
        text: "hello",
      }));
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`core answered ${res.status}`);
    },
    settle,
  };
}
