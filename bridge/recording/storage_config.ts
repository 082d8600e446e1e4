/**
 * Where recordings are stored, from the environment (zod-validated; an error
 * names the variable): `RECORDINGS_DIR`, the S3 bucket (`RECORDINGS_S3_*`),
 * `RECORDINGS_KEEP_LOCAL`, `RECORDING_RETENTION_DAYS`, and the signed links
 * (`RECORDING_LINK_SECRET`, `RECORDING_LINK_TTL_S`, `RECORDINGS_PUBLIC_URL`).
 *
 * @module
 */
import { z } from "zod";
import type { S3StoreConfig } from "./s3_recording_store.ts";
import { MAX_PRESIGN_SECONDS } from "./s3_recording_store.ts";
import { DEFAULT_RECORDINGS_DIR } from "./recordings.ts";

const flag = (def: boolean) =>
  z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"]).default(def ? "true" : "false")
    .transform((v) => v === "1" || v === "true" || v === "yes" || v === "on");

const StorageEnvSchema = z.object({
  RECORDINGS_DIR: z.string().min(1).default(DEFAULT_RECORDINGS_DIR),
  RECORDINGS_S3_ENDPOINT: z.url().optional(),
  RECORDINGS_S3_BUCKET: z.string().min(1).optional(),
  RECORDINGS_S3_REGION: z.string().min(1).default("us-east-1"),
  RECORDINGS_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  RECORDINGS_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  RECORDINGS_S3_PATH_STYLE: flag(true),
  RECORDINGS_S3_PREFIX: z.string().default(""),
  RECORDINGS_KEEP_LOCAL: flag(false),
  RECORDING_RETENTION_DAYS: z.coerce.number().nonnegative().default(0),
  RECORDING_LINK_SECRET: z.string().min(16, "at least 16 characters").optional(),
  RECORDING_LINK_TTL_S: z.coerce.number().int().min(1).max(MAX_PRESIGN_SECONDS).default(
    MAX_PRESIGN_SECONDS,
  ),
  RECORDINGS_PUBLIC_URL: z.url().optional(),
  BRIDGE_PORT: z.coerce.number().int().default(8080),
});

/** The recording storage settings of the process. */
export interface StorageConfig {
  dir: string;
  /** Absent: recordings stay on local disk. */
  s3?: S3StoreConfig | undefined;
  keepLocal: boolean;
  /** 0: kept forever. */
  retentionDays: number;
  linkSecret?: string | undefined;
  linkTtlSeconds: number;
  /** The bridge's URL in links. */
  publicUrl: string;
}

const S3_REQUIRED = [
  "RECORDINGS_S3_BUCKET",
  "RECORDINGS_S3_ACCESS_KEY_ID",
  "RECORDINGS_S3_SECRET_ACCESS_KEY",
] as const;

/** Reads the settings; throws an Error naming every bad variable (never a value). */
export function storageConfigFromEnv(
  vars: Readonly<Record<string, string | undefined>>,
): StorageConfig {
  const present = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== ""));
  const parsed = StorageEnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid recording storage configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  let s3: S3StoreConfig | undefined;
  if (env.RECORDINGS_S3_ENDPOINT !== undefined) {
    const missing = S3_REQUIRED.filter((name) => env[name] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `invalid recording storage configuration:\n${
          missing.map((n) => `  ${n}: required with RECORDINGS_S3_ENDPOINT`).join("\n")
        }`,
      );
    }
    s3 = {
      endpoint: env.RECORDINGS_S3_ENDPOINT,
      bucket: env.RECORDINGS_S3_BUCKET!,
      region: env.RECORDINGS_S3_REGION,
      accessKeyId: env.RECORDINGS_S3_ACCESS_KEY_ID!,
      secretAccessKey: env.RECORDINGS_S3_SECRET_ACCESS_KEY!,
      pathStyle: env.RECORDINGS_S3_PATH_STYLE,
      prefix: env.RECORDINGS_S3_PREFIX,
    };
  }
  return {
    dir: env.RECORDINGS_DIR,
    s3,
    keepLocal: env.RECORDINGS_KEEP_LOCAL,
    retentionDays: env.RECORDING_RETENTION_DAYS,
    linkSecret: env.RECORDING_LINK_SECRET,
    linkTtlSeconds: env.RECORDING_LINK_TTL_S,
    publicUrl: env.RECORDINGS_PUBLIC_URL ?? `http://localhost:${env.BRIDGE_PORT}`,
  };
}

/** The secrets of these settings, for the log filter (`configSecrets`) to blank. */
export function storageSecrets(config: StorageConfig): string[] {
  return [config.s3?.secretAccessKey, config.linkSecret].filter((s): s is string =>
    s !== undefined
  );
}
