/**
 * Email and password sign-in through Supabase Auth's password grant
 * (`POST /auth/v1/token?grant_type=password` with the anon key): the console
 * posts the form's values server-side and keeps the access and refresh
 * tokens in HttpOnly cookies. The refresh grant renews an expired session.
 *
 * @module
 */
import { z } from "zod";

/** What a sign-in attempt gives. */
export type SignInResult =
  | { ok: true; accessToken: string; refreshToken?: string | undefined }
  | { ok: false; status: number; message: string };

/** Signs a user in by email and password. */
export type PasswordSignIn = (email: string, password: string) => Promise<SignInResult>;

/** Renews a session from its refresh token (Supabase rotates it: use the new one). */
export type RefreshSession = (refreshToken: string) => Promise<SignInResult>;

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
});
const errorResponse = z.object({
  msg: z.string().optional(),
  error_description: z.string().optional(),
  message: z.string().optional(),
}).loose();

/** Posts `body` to Supabase Auth's token endpoint with `grant`. */
function tokenGrant(
  supabaseUrl: string,
  anonKey: string,
  grant: "password" | "refresh_token",
  fetchFn: typeof fetch,
): (body: Record<string, string>) => Promise<SignInResult> {
  const url = new URL(`auth/v1/token?grant_type=${grant}`, supabaseUrl.replace(/\/*$/, "/"));
  return async (body) => {
    const res = await fetchFn(url, {
      method: "POST",
      headers: { apikey: anonKey, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json: unknown = await res.json().catch(() => ({}));
    if (res.ok) {
      const parsed = tokenResponse.safeParse(json);
      if (parsed.success) {
        return {
          ok: true,
          accessToken: parsed.data.access_token,
          refreshToken: parsed.data.refresh_token,
        };
      }
      return { ok: false, status: 502, message: "Supabase Auth answered without a token." };
    }
    const error = errorResponse.safeParse(json);
    const message = error.success
      ? error.data.msg ?? error.data.error_description ?? error.data.message
      : undefined;
    return { ok: false, status: res.status, message: message ?? `Supabase Auth: ${res.status}` };
  };
}

/** Supabase Auth's password grant at `supabaseUrl` with the project's `anonKey`. */
export function supabasePasswordSignIn(
  supabaseUrl: string,
  anonKey: string,
  fetchFn: typeof fetch = fetch,
): PasswordSignIn {
  const grant = tokenGrant(supabaseUrl, anonKey, "password", fetchFn);
  return (email, password) => grant({ email, password });
}

/** Supabase Auth's refresh-token grant at `supabaseUrl` with the project's `anonKey`. */
export function supabaseRefreshSession(
  supabaseUrl: string,
  anonKey: string,
  fetchFn: typeof fetch = fetch,
): RefreshSession {
  const grant = tokenGrant(supabaseUrl, anonKey, "refresh_token", fetchFn);
  return (refreshToken) => grant({ refresh_token: refreshToken });
}
