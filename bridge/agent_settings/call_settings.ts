/**
 * Per-number agent settings, applied to each new call: when a session is
 * created, the settings of its `phone_number_id` are read from the store
 * (saved in the console, `store/agent_settings.ts`) and shape that call's
 * agent (instructions, greeting, voice, model, language, tools, turn
 * detection), its recording and its maximum length; outside the number's
 * call hours the call gets the outside-hours notice instead
 * (`outside_hours_agent.ts`).
 *
 * Read per call, so a change takes effect from the next call on and never
 * touches a call in progress. The read waits at most `waitMs` (it runs while
 * the peer is made, so it normally costs the call nothing); a store that is
 * slow, down or holding settings that no longer validate never delays or
 * fails a call: the call runs on the environment's defaults and
 * `AGENT_SETTINGS_FALLBACK` is logged.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { BridgeConfig } from "../config.ts";
import { callLogger, type EventLogger } from "../log.ts";
import type { Agent } from "../agents/agent.ts";
import { openAIAgentConfig } from "../agents/create_agent.ts";
import { OpenAIRealtimeAgent, type OpenAIRealtimeConfig } from "../agents/openai.ts";
import { EchoAgent } from "../agents/echo.ts";
import { instructionsWithAnnouncement, type SessionRecording } from "../recording/recordings.ts";
import type { CallDeps, SessionRequest } from "../session/session_deps.ts";
import { isOpen } from "../../lib/agent_settings/call_hours.ts";
import {
  type AgentSettings,
  AgentSettingsSchema,
  DEFAULT_OUTSIDE_HOURS_MESSAGE,
} from "../../lib/agent_settings/schema.ts";
import type { AgentSettingsStore } from "../../store/agent_settings.ts";
import { OutsideHoursAgent } from "./outside_hours_agent.ts";

/** Where the settings come from: the store. */
export type AgentSettingsSource = Pick<AgentSettingsStore, "getAgentSettings">;

/** What applying settings logs (every line carries the call id). */
export type CallSettingsLogEvent =
  /** The store was slow, down or held invalid settings: the call runs on the environment's defaults. */
  | "AGENT_SETTINGS_FALLBACK"
  /** The number's settings shape this call (`version`, `fields`). */
  | "AGENT_SETTINGS_APPLIED"
  /** The call came outside the number's call hours. */
  | "AGENT_SETTINGS_OUTSIDE_HOURS"
  /** The settings ask for recording but the bridge has none (`RECORDING=off`). */
  | "AGENT_SETTINGS_RECORDING_UNAVAILABLE";

/** How long a call waits for its settings at most, ms. */
export const DEFAULT_SETTINGS_WAIT_MS = 300;

/** Options of {@linkcode callSettingsResolver}. */
export interface CallSettingsOptions {
  /** The bridge's configuration: the defaults (`instructions` without the recording notice). */
  config: BridgeConfig;
  source: AgentSettingsSource;
  /** The agent of a call whose number has no settings (the environment's). */
  defaultAgent: (callId: string) => Agent;
  /**
   * True when `defaultAgent` is not the environment's (a test's stand-in):
   * settings then cannot shape it, and outside hours play the tone.
   */
  customAgent?: boolean | undefined;
  /** The environment's recording (`undefined`: `RECORDING=off`). */
  recording: SessionRecording | undefined;
  /** The environment's longest call, ms (`MAX_CALL_MINUTES`). */
  maxCallMs: number;
  /** @default DEFAULT_SETTINGS_WAIT_MS */
  waitMs?: number | undefined;
  /** @default () => new Date() */
  now?: (() => Date) | undefined;
  /** The OpenAI agent's logger. @default getLogger(["bridge", "openai"]) */
  logger?: Logger | undefined;
}

type Log = EventLogger<CallSettingsLogEvent>;

type Lookup = { ok: true; settings: AgentSettings | null; version?: number } | {
  ok: false;
  reason: string;
};

/** Reads the settings within `waitMs`; never rejects. */
async function lookup(source: AgentSettingsSource, id: string, waitMs: number): Promise<Lookup> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Lookup>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `timeout after ${waitMs} ms` }), waitMs);
  });
  const read = Promise.try(() => source.getAgentSettings(id)).then(
    (record): Lookup => {
      if (record === null) return { ok: true, settings: null };
      // The store parsed it; parsed again because a source is any reader.
      const parsed = AgentSettingsSchema.safeParse(record.settings);
      return parsed.success
        ? { ok: true, settings: parsed.data, version: record.version }
        : { ok: false, reason: `invalid settings: ${parsed.error.issues[0]?.message}` };
    },
    (error): Lookup => ({ ok: false, reason: `store error: ${String(error)}` }),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The English name of an ISO-639-1 code ("es" → "Spanish"), or the code. */
function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) ?? code;
  } catch {
    // An unknown code is still a fine name for the model.
    return code;
  }
}

/** `instructions` with the number's language asked for. */
export function withLanguage(instructions: string, language: string | undefined): string {
  if (!language) return instructions;
  return `${instructions}\n\nSpeak ${languageName(language)} with the caller, ` +
    "unless they speak another language.";
}

/** The OpenAI agent's configuration for a number's settings, over the environment's. */
export function settingsAgentConfig(
  base: OpenAIRealtimeConfig,
  config: BridgeConfig,
  settings: AgentSettings,
  recordingOn: boolean,
): OpenAIRealtimeConfig {
  const td = settings.turnDetection;
  const instructions = withLanguage(
    settings.instructions ?? config.instructions,
    settings.language,
  );
  const enabled = settings.tools;
  return {
    ...base,
    // A text recording notice goes first, as for every call (recording/announcement.ts).
    instructions: instructionsWithAnnouncement(
      { ...config.recording, enabled: recordingOn },
      instructions,
    ),
    ...(settings.greeting === undefined ? {} : { greeting: settings.greeting }),
    ...(settings.voice === undefined ? {} : { voice: settings.voice }),
    ...(settings.model === undefined ? {} : { model: settings.model }),
    ...(settings.language === undefined ? {} : { transcriptionLanguages: [settings.language] }),
    tools: enabled === undefined
      ? config.tools
      : config.tools.filter((t) => enabled.includes(t.name)),
    ...(td === undefined ? {} : { turnDetection: td.type }),
    ...(td?.type === "server_vad" && td.threshold !== undefined
      ? { vadThreshold: td.threshold }
      : {}),
    ...(td?.type === "server_vad" && td.silenceMs !== undefined
      ? { vadSilenceMs: td.silenceMs }
      : {}),
    ...(td?.type === "semantic_vad" && td.eagerness !== undefined
      ? { vadEagerness: td.eagerness }
      : {}),
  };
}

/**
 * The keyless agent of a number: the echo agent speaks the number's greeting
 * (espeak-ng), so a greeting change is heard without an OpenAI key.
 */
function echoAgent(options: CallSettingsOptions, greeting: string | undefined) {
  if (greeting === undefined || options.customAgent) return options.defaultAgent;
  return () => new EchoAgent({ greeting });
}

const OUTSIDE_HOURS_INSTRUCTIONS =
  "You answer a business's phone line outside its opening hours. You only ever say the " +
  "message you are given, word for word, and nothing else.";

/**
 * The `SessionDeps.forCall` of a bridge: each call's agent, recording and
 * maximum length from its number's settings (see the module doc).
 */
export function callSettingsResolver(
  options: CallSettingsOptions,
): (req: SessionRequest) => Promise<CallDeps> {
  const { config, source } = options;
  const waitMs = options.waitMs ?? DEFAULT_SETTINGS_WAIT_MS;
  const now = options.now ?? (() => new Date());
  const apiKey = config.agent === "openai" && !options.customAgent
    ? config.env.OPENAI_API_KEY
    : undefined;
  const logger = options.logger ?? getLogger(["bridge", "openai"]);
  const base = apiKey === undefined ? undefined : openAIAgentConfig(config, apiKey, logger);
  const defaults: CallDeps = {
    createAgent: options.defaultAgent,
    maxCallMs: options.maxCallMs,
    recording: options.recording,
  };
  const apply = (req: SessionRequest, settings: AgentSettings, log: Log): CallDeps => {
    if (settings.recording === true && !options.recording) {
      log.warn("AGENT_SETTINGS_RECORDING_UNAVAILABLE", { phoneNumberId: req.phoneNumberId });
    }
    const recording = settings.recording === false ? undefined : options.recording;
    const maxCallMs = settings.maxCallSeconds === undefined
      ? options.maxCallMs
      // Never past MAX_CALL_MINUTES: the stale-call reconciler closes calls older than that.
      : Math.min(settings.maxCallSeconds * 1000, options.maxCallMs);
    const agentConfig = base &&
      settingsAgentConfig(base, config, settings, recording !== undefined);
    if (isOpen(settings.callHours, now())) {
      return {
        createAgent: agentConfig
          ? () => new OpenAIRealtimeAgent(agentConfig)
          : echoAgent(options, settings.greeting),
        maxCallMs,
        recording,
      };
    }
    log.info("AGENT_SETTINGS_OUTSIDE_HOURS", { phoneNumberId: req.phoneNumberId });
    const message = settings.callHours?.outsideHoursMessage ?? DEFAULT_OUTSIDE_HOURS_MESSAGE;
    const speakerConfig = agentConfig && {
      ...agentConfig,
      instructions: instructionsWithAnnouncement(
        { ...config.recording, enabled: recording !== undefined },
        OUTSIDE_HOURS_INSTRUCTIONS,
      ),
      greeting: "",
      tools: [],
    };
    return {
      createAgent: () =>
        new OutsideHoursAgent({
          message,
          speaker: speakerConfig ? new OpenAIRealtimeAgent(speakerConfig) : undefined,
        }),
      maxCallMs,
      recording,
    };
  };
  return async (req) => {
    const log = callLogger<CallSettingsLogEvent>(req.callId, "agent_settings");
    const fallback = (reason: string) => {
      log.warn("AGENT_SETTINGS_FALLBACK", { phoneNumberId: req.phoneNumberId, reason });
      return defaults;
    };
    const found = await lookup(source, req.phoneNumberId, waitMs);
    if (!found.ok) return fallback(found.reason);
    if (found.settings === null) return defaults;
    log.info("AGENT_SETTINGS_APPLIED", {
      phoneNumberId: req.phoneNumberId,
      version: found.version,
      fields: Object.keys(found.settings),
    });
    try {
      return apply(req, found.settings, log);
    } catch (error) {
      // E.g. a time zone this runtime no longer knows: the call goes on, on the defaults.
      return fallback(`settings not applicable: ${String(error)}`);
    }
  };
}
