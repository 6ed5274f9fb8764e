import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type TocsinClient, createTocsinClient } from "@tocsin/client";

export { TocsinApiError, unwrap } from "@tocsin/client";

/** The typed API client the CLI's client commands use (@tocsin/client). */
export type ApiClient = TocsinClient;

export function resolveApiKey(flag: string | undefined, env: Record<string, string | undefined>): string | null {
  if (flag) return flag;
  if (env.TOCSIN_API_KEY) return env.TOCSIN_API_KEY;
  try {
    return readFileSync(join(env.TOCSIN_DATA_DIR || "./data", "admin-key"), "utf8").trim();
  } catch {
    return null;
  }
}

/** The client for `baseUrl`; a server that cannot be reached is an error saying what to check. */
export function createApiClient(baseUrl: string, apiKey: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, "");
  let unparsable: unknown;
  try {
    new Request(`${base}/`);
  } catch (e) {
    unparsable = e;
  }
  // A --url that is not a URL fails at the first request, as an unreachable server does.
  const client =
    unparsable === undefined
      ? createTocsinClient({ baseUrl: base, apiKey })
      : createTocsinClient({ baseUrl: "http://unparsable.invalid", apiKey, fetch: () => Promise.reject(unparsable) });
  client.use({
    onError({ error }) {
      const e = error as Error;
      return new Error(`cannot reach Tocsin at ${base}: ${e.cause ?? e.message}. Is it running? Set --url or TOCSIN_URL.`);
    },
  });
  return client;
}
