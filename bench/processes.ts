// The child processes a run starts (the receiver, Tocsin servers), and their cleanup.

import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Profiled } from "./profiling.ts";
import type { FromReceiver, GroupStats, ToReceiver } from "./protocol.ts";
import { ROOT } from "./settings.ts";

// ---------------------------------------------------------------------------------------------
// Child processes, cleanup

export const children = new Set<ChildProcess>();
let tempDir: string | null = null;

/** The run's temporary folder (data folders), removed by cleanupNow(). */
export function setTempDir(dir: string): string {
  tempDir = dir;
  return dir;
}

export const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export function waitExit(c: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!alive(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    c.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Kills, by PID, only the children this run started and that are still running; removes the temp dir. */
export function cleanupNow(): void {
  for (const c of children) {
    if (c.pid !== undefined && alive(c)) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  if (tempDir) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = null;
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping the benchmark\n`);
    cleanupNow();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// Receiver child

export interface ReceiverHandle {
  child: ChildProcess;
  url: string;
  stats(group: string, latency?: boolean): Promise<GroupStats | null>;
  stop(): Promise<void>;
}

export async function startReceiver(): Promise<ReceiverHandle> {
  const child = fork(join(ROOT, "bench/receiver.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  const pending = new Map<number, (s: GroupStats | null) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the receiver did not report its port within 10 s")), 10_000);
    child.on("message", (raw) => {
      const m = raw as FromReceiver;
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m.type === "reply") {
        pending.get(m.id)?.(m.stats);
        pending.delete(m.id);
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`the receiver exited early (code ${code}, signal ${signal})`)));
  });
  const ask = (msg: ToReceiver) =>
    new Promise<GroupStats | null>((resolve, reject) => {
      if (!alive(child) || !child.connected) return reject(new Error("the receiver process is gone"));
      const timer = setTimeout(() => reject(new Error("the receiver did not answer within 10 s")), 10_000);
      pending.set(msg.id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      child.send(msg);
    });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stats: (group, latency = false) => ask({ id: nextId++, cmd: "stats", group, latency }),
    async stop() {
      if (alive(child) && child.connected) child.send({ id: nextId++, cmd: "exit" } satisfies ToReceiver);
      if (!(await waitExit(child, 5_000)) && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      children.delete(child);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Tocsin server child

export interface ServerHandle {
  child: ChildProcess;
  pid: number;
  url: string;
  apiKey: string;
  /** warn/error log lines, apart from the expected private-networks warning. */
  problems: string[];
  stop(): Promise<{ graceful: boolean; ms: number }>;
}

export function tocsinOverrides(): Record<string, string> {
  const set = new Set(["TOCSIN_DATA_DIR", "TOCSIN_PORT", "TOCSIN_API_KEY", "TOCSIN_ALLOW_PRIVATE_NETWORKS", "TOCSIN_LOG_LEVEL", "TOCSIN_RATE_LIMIT"]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("TOCSIN_") && !set.has(k) && v !== undefined) out[k] = v;
  return out;
}

export async function startTocsin(
  dataDir: string,
  role: "serve" | "api" | "worker" = "serve",
  extraEnv: Record<string, string> = {},
  apiKey = `tsk_bench_${randomBytes(16).toString("hex")}`,
  profile: Profiled | null = null,
): Promise<ServerHandle> {
  const child = spawn(process.execPath, [...(profile?.nodeArgs ?? []), join(ROOT, "bin/tocsin.js"), role], {
    cwd: ROOT,
    env: {
      ...process.env,
      TOCSIN_DATA_DIR: dataDir,
      TOCSIN_PORT: "0",
      TOCSIN_API_KEY: apiKey,
      TOCSIN_ALLOW_PRIVATE_NETWORKS: "true",
      TOCSIN_LOG_LEVEL: "info",
      // The bench measures delivery; the per-key API rate limit would cap its ingest.
      TOCSIN_RATE_LIMIT: "0",
      ...extraEnv,
      ...profile?.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  if (child.pid === undefined) throw new Error("could not start the Tocsin server");
  const pid = child.pid;
  const problems: string[] = [];
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };
  createInterface({ input: child.stderr! }).on("line", remember);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Tocsin server did not report its URL within 30 s:\n${tail.join("\n")}`)), 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the Tocsin server exited during startup (code ${code}, signal ${signal}):\n${tail.join("\n")}`));
    });
    // Keep reading stdout for the whole run: pino writes synchronously and a full pipe would stall it.
    createInterface({ input: child.stdout! }).on("line", (line) => {
      remember(line);
      let rec: { level?: number; msg?: string; url?: unknown } | null = null;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (!rec) return;
      if (typeof rec.msg === "string" && rec.msg.startsWith("Tocsin ") && (typeof rec.url === "string" || role === "worker")) {
        clearTimeout(timer);
        resolve(typeof rec.url === "string" ? rec.url : "");
      }
      if ((rec.level ?? 0) >= 40 && !String(rec.msg).startsWith("TOCSIN_ALLOW_PRIVATE_NETWORKS")) problems.push(line);
    });
  });
  return {
    child,
    pid,
    url,
    apiKey,
    problems,
    async stop() {
      const t0 = performance.now();
      if (!alive(child)) return { graceful: false, ms: 0 };
      process.kill(pid, "SIGTERM");
      let graceful = await waitExit(child, 20_000);
      if (!graceful) {
        process.kill(pid, "SIGKILL");
        await waitExit(child, 5_000);
        graceful = false;
      }
      children.delete(child);
      return { graceful, ms: performance.now() - t0 };
    },
  };
}
