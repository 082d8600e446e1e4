/**
 * The local receiver `deno task dev` points `CALL_WEBHOOK_URL` at when none is
 * set, so a newcomer sees the signed end-of-call webhook arrive. It verifies
 * each message with the Standard Webhooks reference library (`standardwebhooks`),
 * answers 401 to a bad signature (the sender retries), and keeps each verified
 * body as `<dir>/<type>-<webhook-id>.json`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Webhook } from "standardwebhooks";
import { z } from "zod";

const Envelope = z.object({
  type: z.string().regex(/^[a-z_.]+$/),
  data: z.object({ call: z.object({ id: z.string() }).passthrough() }).passthrough(),
}).passthrough();

/** A running receiver. */
export interface WebhookReceiver {
  url: string;
  /** Verified messages so far, in arrival order. */
  received: Array<{ id: string; type: string; callId: string }>;
  close(): Promise<void>;
}

/** Serves the receiver on loopback (`port` 0 picks one), keeping bodies under `dir`. */
export async function startWebhookReceiver(
  { secret, dir, port = 0 }: { secret: string; dir: string; port?: number },
): Promise<WebhookReceiver> {
  await Deno.mkdir(dir, { recursive: true });
  const verifier = new Webhook(secret);
  const log = getLogger(["dev", "webhook"]);
  const received: WebhookReceiver["received"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const body = await req.text();
    let message: z.infer<typeof Envelope>;
    try {
      message = Envelope.parse(verifier.verify(body, Object.fromEntries(req.headers)));
    } catch (error) {
      log.warn("CALL_WEBHOOK_REJECTED", { error: String(error) });
      return new Response("bad signature or body\n", { status: 401 });
    }
    const id = req.headers.get("webhook-id") ?? crypto.randomUUID();
    const callId = message.data.call.id;
    received.push({ id, type: message.type, callId });
    await Deno.writeTextFile(`${dir}/${message.type}-${id.replace(/[^\w.-]/g, "_")}.json`, body);
    log.info("CALL_WEBHOOK_RECEIVED", { type: message.type, webhookId: id, callId });
    return new Response(null, { status: 204 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/call-webhooks`,
    received,
    close: () => server.shutdown(),
  };
}
