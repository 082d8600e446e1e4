/**
 * Call recording for the whole process: `RECORDING=on|off`, `RECORDINGS_DIR`
 * and `RECORDING_ANNOUNCEMENT` read once; one {@linkcode CallRecording} tap
 * per call writing `<dir>/raw/<name>.raw`; {@linkcode finishRecording}
 * rendering it to `<dir>/<name>.ogg` (caller left, agent right) and removing
 * the raw file. `<name>` is {@linkcode recordingFileName}'s percent-encoded
 * call id, so a call id can never name a path outside the folder.
 *
 * A raw file left by a bridge that died mid-call still renders: ask for it
 * with `finishRecording(callId)` (or list them with {@linkcode leftoverRawRecordings}).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { callLogger } from "../log.ts";
import type { MediaTap } from "../media/call_media.ts";
import { CallRecording, openRawFile } from "./call_recording.ts";
import { type Announcement, announcementInstruction, loadAnnouncement } from "./announcement.ts";
import { readRawRecording } from "./raw_recording.ts";
import { callIdOfFileName, RECORDING_EXTENSION, recordingFileName } from "./recording_store.ts";
import { renderStereo } from "./stereo_render.ts";

/** Log events of recording (with `callId` on every call's line). */
export type RecordingLogEvent =
  /** A call's raw recording started (`rawPath`). */
  | "RECORDING_STARTED"
  /** The stereo file is ready: `path`, `bytes`, `durationMs`, `dropped` records. */
  | "RECORDING_RENDERED"
  /** Rendering failed (`error`); the raw file is kept for another try. */
  | "RECORDING_RENDER_FAILED"
  /** The raw file could not be opened (`error`): this call is not recorded. */
  | "RECORDING_OPEN_FAILED"
  /** A text announcement with the echo agent, which has no speech: nothing was said. */
  | "RECORDING_ANNOUNCEMENT_NOT_SPOKEN";

/** Default folder of recordings, relative to the working directory. */
export const DEFAULT_RECORDINGS_DIR = ".data/recordings";
const RAW_EXTENSION = ".raw";

const onOff = z.enum(["on", "off", "true", "false", "1", "0", ""]).default("off")
  .transform((v) => v === "on" || v === "true" || v === "1");

/** `RECORDING`, `RECORDINGS_DIR`, `RECORDING_ANNOUNCEMENT` (see the README). */
export const RecordingEnvSchema = z.object({
  RECORDING: onOff,
  RECORDINGS_DIR: z.string().min(1).default(DEFAULT_RECORDINGS_DIR),
  RECORDING_ANNOUNCEMENT: z.string().optional(),
});

/** The recording settings of the process. */
export interface RecordingConfig {
  enabled: boolean;
  dir: string;
  /** A WAV path (played to the caller) or text (said first by the OpenAI agent). */
  announcement?: string | undefined;
}

/** Reads the settings from environment variables; throws an Error naming each bad variable. */
export function recordingConfigFromEnv(
  vars: Record<string, string | undefined> = Deno.env.toObject(),
): RecordingConfig {
  const set = Object.fromEntries(
    Object.entries(vars).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = RecordingEnvSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid bridge configuration:\n${lines.join("\n")}`);
  }
  return {
    enabled: parsed.data.RECORDING,
    dir: parsed.data.RECORDINGS_DIR,
    announcement: parsed.data.RECORDING_ANNOUNCEMENT,
  };
}

/** What a call session needs of recording (SessionDeps.recording). */
export interface SessionRecording {
  /** `RECORDING_ANNOUNCEMENT`, loaded: a WAV to play first, or text for the OpenAI agent. */
  readonly announcement?: Announcement | undefined;
  /** The tap for this call's media (`undefined`: not recorded). */
  start(callId: string): MediaTap | undefined;
  /** Media stopped: completes and closes the raw file (rendering is {@linkcode finishRecording}'s). */
  stop(callId: string): Promise<void>;
}

/**
 * The session hooks for `config`, or `undefined` when recording is off. Loads
 * the announcement now, so a bad WAV stops start-up rather than a call.
 */
export function sessionRecording(
  config: RecordingConfig,
  agent: "openai" | "echo" = "echo",
  readFile?: (path: string) => Uint8Array,
): SessionRecording | undefined {
  if (!config.enabled) return undefined;
  const announcement = loadAnnouncement(config.announcement, readFile);
  const unspoken = announcement?.kind === "text" && agent === "echo";
  return {
    announcement,
    start: (callId) => {
      if (unspoken) {
        // The echo agent cannot speak text: the caller hears no notice (see announcement.ts).
        callLogger<RecordingLogEvent>(callId, "recording").warn(
          "RECORDING_ANNOUNCEMENT_NOT_SPOKEN",
        );
      }
      return startRecording(config, callId);
    },
    stop: (callId) => stopRecording(callId),
  };
}

/**
 * The agent instructions with a text announcement put first, for the OpenAI
 * agent; unchanged when recording is off or the announcement is a WAV.
 */
export function instructionsWithAnnouncement(
  config: RecordingConfig,
  instructions: string,
): string {
  const text = config.enabled && config.announcement && !/\.wav$/i.test(config.announcement.trim())
    ? config.announcement.trim()
    : undefined;
  return text ? `${announcementInstruction(text)}\n\n${instructions}` : instructions;
}

/** Closes a live recording's raw file (idempotent); the call stays ready to render. */
export function stopRecording(callId: string): Promise<void> {
  const live = active.get(callId);
  if (!live) return Promise.resolve();
  live.closed ??= live.recording.close().catch(() => {});
  return live.closed;
}

/** Where a call's raw recording is written. */
export function rawRecordingPath(dir: string, callId: string): string {
  return join(
    dir,
    "raw",
    recordingFileName(callId).slice(0, -RECORDING_EXTENSION.length) + RAW_EXTENSION,
  );
}

/** Where a call's stereo file is rendered. */
export function stereoRecordingPath(dir: string, callId: string): string {
  return join(dir, recordingFileName(callId));
}

/** What {@linkcode finishRecording} made. */
export interface FinishedRecording {
  path: string;
  bytes: number;
  durationMs: number;
}

/** Calls being recorded now, by call id (one process records each call once). */
const active = new Map<
  string,
  { recording: CallRecording; dir: string; closed?: Promise<void> | undefined }
>();
const finishing = new Map<string, Promise<FinishedRecording | null>>();
let defaultDir = DEFAULT_RECORDINGS_DIR;

/**
 * Starts recording `callId` when `config.enabled`; returns the tap to hand to
 * CallMedia (`undefined`: off). Opening the file happens in the background;
 * payloads before it opens are buffered.
 */
export function startRecording(config: RecordingConfig, callId: string): CallRecording | undefined {
  if (!config.enabled) return undefined;
  defaultDir = config.dir;
  const rawPath = rawRecordingPath(config.dir, callId);
  const log = callLogger<RecordingLogEvent>(callId, "recording");
  const sink = openRawFile(rawPath);
  sink.catch((error) => log.error("RECORDING_OPEN_FAILED", { error: String(error) }));
  const recording = new CallRecording(callId, sink, rawPath);
  active.set(callId, { recording, dir: config.dir });
  log.info("RECORDING_STARTED", { rawPath });
  return recording;
}

/**
 * Ends the call's recording (if it is live), renders its raw file to
 * `<dir>/<name>.ogg` and removes the raw file. `null` when there is nothing to
 * render (recording off, or no raw file). Safe to call twice: the second call
 * waits for the first. `dir` defaults to the folder recordings were last started in.
 */
export function finishRecording(callId: string, dir?: string): Promise<FinishedRecording | null> {
  const running = finishing.get(callId);
  if (running) return running;
  const job = finish(callId, dir).finally(() => finishing.delete(callId));
  finishing.set(callId, job);
  return job;
}

async function finish(
  callId: string,
  dirArg: string | undefined,
): Promise<FinishedRecording | null> {
  const live = active.get(callId);
  const dir = dirArg ?? live?.dir ?? defaultDir;
  if (live) {
    await stopRecording(callId);
    active.delete(callId);
  }
  return await renderRawFile(callId, dir);
}

/** Renders `<dir>/raw/<name>.raw` to `<dir>/<name>.ogg` (via a `.part` file), then removes the raw file. */
export async function renderRawFile(
  callId: string,
  dir: string,
): Promise<FinishedRecording | null> {
  const rawPath = rawRecordingPath(dir, callId);
  const log = callLogger<RecordingLogEvent>(callId, "recording");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(rawPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const path = stereoRecordingPath(dir, callId);
  const part = `${path}.part`;
  try {
    const raw = readRawRecording(bytes);
    const file = await Deno.open(part, { write: true, create: true, truncate: true });
    let result;
    try {
      result = await renderStereo(raw, async (pages) => {
        // One write per batch of pages: a call's file is a handful of writes, not one per second.
        const chunk = new Uint8Array(pages.reduce((n, p) => n + p.length, 0));
        pages.reduce((at, p) => (chunk.set(p, at), at + p.length), 0);
        for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
      });
    } finally {
      file.close();
    }
    await Deno.rename(part, path);
    await Deno.remove(rawPath);
    log.info("RECORDING_RENDERED", {
      path,
      bytes: result.bytes,
      durationMs: result.durationMs,
      truncated: raw.truncated,
    });
    return { path, bytes: result.bytes, durationMs: result.durationMs };
  } catch (error) {
    await Deno.remove(part).catch(() => {});
    log.error("RECORDING_RENDER_FAILED", { error: String(error) });
    throw error;
  }
}

/** Call ids whose raw file is still waiting to be rendered (e.g. after a crash). */
export async function leftoverRawRecordings(dir: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, "raw"))) {
      if (!e.isFile || !e.name.endsWith(RAW_EXTENSION)) continue;
      const id = callIdOfFileName(e.name.slice(0, -RAW_EXTENSION.length) + RECORDING_EXTENSION);
      if (id !== undefined && !active.has(id)) ids.push(id);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return ids;
}
