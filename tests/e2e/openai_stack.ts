/**
 * The whole stack as a process, its agent talking to the fake OpenAI Realtime
 * service: what the e2e and fault tests run calls against.
 *
 * @module
 */
import { type FakeRealtimeOptions, FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { type Stack, startStack } from "./stack.ts";

/** Runs `fn` against a fresh stack and fake; both are closed afterwards. */
export async function withOpenAIStack(
  options: FakeRealtimeOptions,
  fn: (stack: Stack, fake: FakeRealtimeServer) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const fake = FakeRealtimeServer.start({ apiKey: "sk-e2e", ...options });
  try {
    const stack = await startStack({
      env: { OPENAI_API_KEY: fake.apiKey, OPENAI_REALTIME_URL: fake.url, ...env },
    });
    try {
      await fn(stack, fake);
    } finally {
      await stack.close();
    }
  } finally {
    await fake.close();
  }
}
