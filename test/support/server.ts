import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { type RunningApp, serve } from "../../src/main.ts";
import { type Backend, backendEnv } from "./backends.ts";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export type Api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse<T>>;

export function createApi(baseUrl: string, apiKey: string): Api {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

export function tempDir(prefix = "tocsin-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment every test server gets: loopback receivers allowed, fast polling, quiet logs. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TOCSIN_ALLOW_PRIVATE_NETWORKS: "true",
    TOCSIN_POLL_INTERVAL: "50ms",
    TOCSIN_RETRY_JITTER: "0",
    TOCSIN_LOG_LEVEL: "silent",
    TOCSIN_PORT: "0",
    // Tests send bursts of requests with one key; test/e2e/rate-limit.test.ts turns it on.
    TOCSIN_RATE_LIMIT: "0",
    // Tests try many wrong keys from one address; test/e2e/api-hardening.test.ts turns it on.
    TOCSIN_AUTH_FAILURE_LIMIT: "0",
    ...extra,
  };
}

export interface TestServer {
  app: RunningApp;
  url: string;
  apiKey: string;
  dataDir: string;
  api: Api;
  stop(): Promise<void>;
}

/** The real server in this process, on an ephemeral port, with a temp data folder; `now` replaces its clock. */
export async function startServer(env: Record<string, string> = {}, dataDir = tempDir(), now?: () => number): Promise<TestServer> {
  const apiKey = `tsk_test_${randomBytes(8).toString("hex")}`;
  const config = loadConfig({ ...testEnv(env), TOCSIN_DATA_DIR: dataDir, TOCSIN_API_KEY: apiKey });
  const app = await serve(config, pino({ level: config.logLevel }), now);
  return {
    app,
    url: app.url!,
    apiKey,
    dataDir,
    api: createApi(app.url!, apiKey),
    stop: () => app.stop(),
  };
}

/** Runs `fn` with a fresh server and always stops it and removes its data folder. */
export async function withServer(env: Record<string, string>, fn: (s: TestServer) => Promise<void>): Promise<void> {
  return withBackendServer("sqlite", env, fn);
}

/** Like withServer, on `backend` (a fresh schema on PostgreSQL, dropped afterwards); `now` replaces the server's clock. */
export async function withBackendServer(
  backend: Backend,
  env: Record<string, string>,
  fn: (s: TestServer) => Promise<void>,
  now?: () => number,
): Promise<void> {
  const b = await backendEnv(backend);
  try {
    const s = await startServer({ ...b.env, ...env }, undefined, now);
    try {
      await fn(s);
    } finally {
      await s.stop();
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  } finally {
    await b.drop();
  }
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  api: Api;
  output: string[];
  exited: Promise<number | null>;
}

const BIN = new URL("../../bin/tocsin.js", import.meta.url).pathname;

/** `tocsin serve` as a real child process (for SIGKILL and lock tests). Resolves once it listens. */
export async function spawnServer(dataDir: string, apiKey: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ChildServer> {
  return spawnRole("serve", dataDir, apiKey, env, timeoutMs);
}

/** `tocsin <role>` as a child process; resolves once it listens (serve, api) or has started (worker). */
export async function spawnRole(
  role: "serve" | "api" | "worker",
  dataDir: string,
  apiKey: string,
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<ChildServer> {
  const child = spawn(process.execPath, [BIN, role], {
    env: { ...process.env, ...testEnv({ TOCSIN_LOG_LEVEL: "info", ...env }), TOCSIN_DATA_DIR: dataDir, TOCSIN_API_KEY: apiKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on("line", (l) => output.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output.join("\n")}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line);
      try {
        const msg = JSON.parse(line) as { url?: string; msg?: string };
        if (msg.msg?.startsWith("Tocsin ") && (msg.url || role === "worker")) {
          clearTimeout(timer);
          resolve(msg.url ?? "");
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.join("\n")}`));
    });
  });
  return { child, url, api: createApi(url, apiKey), output, exited };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Creates a tenant and one endpoint per URL; returns their ids. */
export async function setupTenant(api: Api, tenant: string, endpoints: { url: string; eventTypes?: string[]; secret?: string }[]) {
  const t = await api("POST", "/v1/tenants", { id: tenant });
  if (t.status !== 201) throw new Error(`tenant: ${t.status} ${JSON.stringify(t.body)}`);
  const ids: string[] = [];
  for (const e of endpoints) {
    const r = await api<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints`, { eventTypes: ["*"], ...e });
    if (r.status !== 201) throw new Error(`endpoint: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(r.body.id);
  }
  return ids;
}

/** Lines of a child process's JSON log whose message matches `re`. */
export function loggedLines(s: ChildServer, re: RegExp): string[] {
  return s.output.filter((l) => {
    try {
      return re.test((JSON.parse(l) as { msg?: string }).msg ?? "");
    } catch {
      return false;
    }
  });
}
