import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A thin client for the REST API used by the CLI's client commands. */
export interface ApiClient {
  request(method: string, path: string, body?: string): Promise<unknown>;
}

export class ApiRequestError extends Error {
  readonly status: number;
  readonly problem: unknown;
  constructor(status: number, problem: unknown, message: string) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export function resolveApiKey(flag: string | undefined, env: Record<string, string | undefined>): string | null {
  if (flag) return flag;
  if (env.TOCSIN_API_KEY) return env.TOCSIN_API_KEY;
  try {
    return readFileSync(join(env.TOCSIN_DATA_DIR || "./data", "admin-key"), "utf8").trim();
  } catch {
    return null;
  }
}

export function createApiClient(baseUrl: string, apiKey: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    async request(method, path, body) {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
          body,
        });
      } catch (e) {
        throw new Error(`cannot reach Tocsin at ${base}: ${(e as Error).cause ?? (e as Error).message}. Is it running? Set --url or TOCSIN_URL.`);
      }
      const text = await res.text();
      const data: unknown = text ? JSON.parse(text) : null;
      if (!res.ok) {
        const p = data as { detail?: string; title?: string } | null;
        throw new ApiRequestError(res.status, data, `${res.status} ${p?.title ?? res.statusText}: ${p?.detail ?? text}`);
      }
      return data;
    },
  };
}
