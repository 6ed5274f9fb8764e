// `npm run bench`: Tocsin's delivery throughput and ingest-to-receive latency against a ceiling.
//
// The ceiling is this process posting Standard-Webhooks-signed bodies straight to the receiver
// through an undici Pool (no persistence). Tocsin end to end is the real server (`tocsin serve`)
// in a child process with a fresh data folder, fed by HTTP batch ingest. The receiver is another
// child process (bench/receiver.ts). A benchmark, not a test: it exits 0 whether or not the
// targets are met, and 1 only when the run itself fails (a timeout, a missing delivery).
//
// `--profile`: every Tocsin process also times each SQL statement (TOCSIN_PROFILE_STATEMENTS) and
// runs under `node --cpu-prof`; the report adds the statements and the functions that took longest.

import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Pool } from "undici";
import { type CpuProfile, type CpuSummary, formatCpuSummary, summarizeCpuProfiles } from "./cpu-profile.ts";
import { type FromReceiver, type GroupStats, type LatencySummary, type ToReceiver, summarize, wallNow } from "./protocol.ts";
import { formatStatements, mergeStatementTotals, readStatementProfiles } from "./statement-report.ts";
import type { StatementTotals } from "../src/observability/statement-profile.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const CEILING_CONNECTIONS = 64;
const CEILING_POSTS = 20_000;
/** The ceiling is the best of this many runs of CEILING_POSTS (it varies by tens of % run to run). */
const CEILING_ROUNDS = 3;
const WARMUP_POSTS = 10_000;
const RATE_PER_S = 2_000;
/** A second, lower offered rate: the latency Tocsin adds when it is not saturated (report only). */
const LOW_RATE_PER_S = 1_000;
const RATE_DURATION_MS = 5_000;
const TICK_MS = 10;
const BATCH_MAX = 1_000;
const INGEST_IN_FLIGHT = 2;
const WAIT_TIMEOUT_MS = 120_000;
const THROUGHPUT_TARGET = 0.25;
const P99_DELTA_TARGET_MS = 30;
const EVENT_TYPE = "bench.alert";
/** PostgreSQL: worker processes per run, and the burst and paced loads (report only, no target). */
const PG_URL = process.env.TOCSIN_BENCH_DATABASE_URL || process.env.TOCSIN_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const PG_WORKERS = [1, 2, 4];
const PG_EVENTS = 2_000;
const PG_ENDPOINTS = 10;
/** Events per second offered in the paced PostgreSQL run, each to PG_ENDPOINTS endpoints. */
const PG_RATE_PER_S = 100;
/** Statements and functions listed per profiled run. */
const PROFILE_TOP = 15;

const USAGE = `usage: node bench/run.ts [--profile]

  --profile  time every SQL statement in the Tocsin processes (TOCSIN_PROFILE_STATEMENTS) and run
             them under node --cpu-prof; print the ${PROFILE_TOP} statements and functions that took
             longest, and keep the raw files (.cpuprofile opens in Chrome DevTools)
`;

const ARGS = process.argv.slice(2);
for (const a of ARGS) {
  if (a === "--help" || a === "-h") {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (a !== "--profile") {
    process.stderr.write(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    process.exit(2);
  }
}
const PROFILE = ARGS.includes("--profile");

// ---------------------------------------------------------------------------------------------
// Child processes, cleanup

const children = new Set<ChildProcess>();
let tempDir: string | null = null;

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

function waitExit(c: ChildProcess, timeoutMs: number): Promise<boolean> {
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
function cleanupNow(): void {
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

interface ReceiverHandle {
  child: ChildProcess;
  url: string;
  stats(group: string, latency?: boolean): Promise<GroupStats | null>;
  stop(): Promise<void>;
}

async function startReceiver(): Promise<ReceiverHandle> {
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

interface ServerHandle {
  child: ChildProcess;
  pid: number;
  url: string;
  apiKey: string;
  /** warn/error log lines, apart from the expected private-networks warning. */
  problems: string[];
  stop(): Promise<{ graceful: boolean; ms: number }>;
}

function tocsinOverrides(): Record<string, string> {
  const set = new Set(["TOCSIN_DATA_DIR", "TOCSIN_PORT", "TOCSIN_API_KEY", "TOCSIN_ALLOW_PRIVATE_NETWORKS", "TOCSIN_LOG_LEVEL", "TOCSIN_RATE_LIMIT"]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("TOCSIN_") && !set.has(k) && v !== undefined) out[k] = v;
  return out;
}

async function startTocsin(
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

// ---------------------------------------------------------------------------------------------
// Profiles (--profile)

/** Where the raw profiles go; kept after the run (null: not profiling). */
let profileDir: string | null = null;

interface Profiled {
  env: Record<string, string>;
  nodeArgs: string[];
  statementsFile: string;
  cpuDir: string;
}

interface ProfileReport {
  title: string;
  statements: StatementTotals[];
  /** The event loop's thread. */
  cpu: CpuSummary | null;
  /** Worker threads (SQLite's WAL checkpointer): they do not hold up the event loop. */
  otherThreads: CpuSummary | null;
  /** Processes whose files are missing (they did not stop gracefully). */
  missing: string[];
}

/** Settings that make the Tocsin process `name` write its statement and CPU profiles, or null when not profiling. */
function profiled(name: string): Profiled | null {
  if (!profileDir) return null;
  const cpuDir = join(profileDir, name);
  mkdirSync(cpuDir, { recursive: true });
  const statementsFile = join(profileDir, `${name}.statements.json`);
  return { env: { TOCSIN_PROFILE_STATEMENTS: statementsFile }, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${cpuDir}`], statementsFile, cpuDir };
}

/**
 * The .cpuprofile files process `pid` wrote into `dir`, named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile:
 * the main thread's (thread 0) apart from its worker threads'.
 */
function readCpuProfiles(dir: string, pid: number): { main: CpuProfile[]; others: CpuProfile[] } {
  const out = { main: [] as CpuProfile[], others: [] as CpuProfile[] };
  for (const f of readdirSync(dir)) {
    const parts = f.split(".");
    if (!f.endsWith(".cpuprofile") || parts[3] !== String(pid)) continue;
    (parts[4] === "0" ? out.main : out.others).push(JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile);
  }
  return out;
}

/** Sums the profiles of the stopped processes `procs` under one title. */
function collectProfile(title: string, procs: { name: string; profile: Profiled; pid: number }[]): ProfileReport {
  const missing: string[] = [];
  const cpu: CpuProfile[] = [];
  const others: CpuProfile[] = [];
  const files: string[] = [];
  for (const p of procs) {
    const found = readCpuProfiles(p.profile.cpuDir, p.pid);
    const statements = readStatementProfiles([p.profile.statementsFile]);
    if (!found.main.length || !statements.length) missing.push(p.name);
    cpu.push(...found.main);
    others.push(...found.others);
    if (statements.length) files.push(p.profile.statementsFile);
  }
  return {
    title,
    statements: mergeStatementTotals(readStatementProfiles(files)),
    cpu: cpu.length ? summarizeCpuProfiles(cpu, PROFILE_TOP, ROOT) : null,
    otherThreads: others.length ? summarizeCpuProfiles(others, 3, ROOT) : null,
    missing,
  };
}

function printProfile(r: ProfileReport): void {
  log();
  log(`Where the time goes: ${r.title}`);
  if (r.missing.length) log(`  no profile from ${r.missing.join(", ")} (not stopped gracefully)`);
  log();
  log("SQL statements (TOCSIN_PROFILE_STATEMENTS), wall time around each execution:");
  for (const line of formatStatements(r.statements, PROFILE_TOP)) log(`  ${line}`);
  log();
  log("Functions by self time (node --cpu-prof, the event loop's thread):");
  if (r.cpu) for (const line of formatCpuSummary(r.cpu)) log(`  ${line}`);
  else log("  no CPU profile");
  if (r.otherThreads) {
    const o = r.otherThreads;
    const top = o.top.map((fn) => `${fn.name} ${fn.url ? `${fn.url}:${fn.line}` : "(native)"} ${f(fn.selfMs, 0)} ms`).join(", ");
    log(`  worker threads (off the event loop): ${f(o.busyMs / 1000, 2)} s busy; most: ${top}`);
  }
}

/** The commit under test, and whether src/ or bin/ differ from it (read-only git commands). */
function revision(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    let dirty = false;
    try {
      execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src", "bin"], { cwd: ROOT, stdio: "ignore" });
    } catch {
      dirty = true;
    }
    return dirty ? `${head} + uncommitted changes in src/ or bin/` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
}

function procStatusKiB(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // keep 100
}

/** User + system CPU seconds a process has used so far (Linux /proc), or NaN. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds the whole machine has spent busy so far (Linux /proc/stat), or NaN. */
function machineBusySeconds(): number {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0)) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Measures the CPU that processes other than this benchmark use during a phase: on a shared
 * machine (a test suite running next to it) the figures are not trustworthy.
 */
function otherCpu(pids: () => (number | undefined)[]) {
  const own = () => ownCpuSeconds() + pids().reduce((sum: number, pid) => sum + (pid === undefined ? 0 : cpuSeconds(pid) || 0), 0);
  const busy0 = machineBusySeconds();
  const own0 = own();
  const t0 = performance.now();
  return () => ({ seconds: (performance.now() - t0) / 1000, other: machineBusySeconds() - busy0 - (own() - own0) });
}

// ---------------------------------------------------------------------------------------------
// Producer helpers

function alertPayload(t: number, seq: number) {
  return {
    t,
    seq,
    alert: {
      id: `al_${seq}`,
      severity: "critical",
      service: "db-01",
      message: "disk usage above 90% on /var/lib/postgresql",
      runbook: "https://runbooks.example.com/disk-full",
    },
  };
}

/** Standard Webhooks signature, as src/signing/standard.ts `sign` computes it. */
function sign(key: Buffer, id: string, timestampSec: number, body: string): string {
  const h = createHmac("sha256", key);
  h.update(`${id}.${timestampSec}.`);
  h.update(body);
  return `v1,${h.digest("base64")}`;
}

/**
 * Offers `rate` items per second for `durationMs`: every `tickMs` it hands `send` the number of
 * items now due (anchored to the start, so late timers do not lower the rate).
 */
async function paced(rate: number, durationMs: number, tickMs: number, send: (n: number, first: number) => void): Promise<number> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const elapsed = performance.now() - start;
    const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
    if (due > sent) {
      send(due - sent, sent);
      sent = due;
    }
    if (sent >= total) break;
    const next = start + (Math.floor(elapsed / tickMs) + 1) * tickMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  return performance.now() - start;
}

async function waitFor(what: string, check: () => Promise<string | null>, timeoutMs = WAIT_TIMEOUT_MS, intervalMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const progress = await check();
    if (progress === null) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (${progress})`);
    await sleep(intervalMs);
  }
}

async function waitForReceiver(rx: ReceiverHandle, group: string, expected: number): Promise<void> {
  await waitFor(`the receiver to get ${expected} requests under /${group}/`, async () => {
    const n = (await rx.stats(group))?.count ?? 0;
    return n >= expected ? null : `${n} so far`;
  });
}

// ---------------------------------------------------------------------------------------------
// Ceiling: the producer posting straight to the receiver

interface CeilingMax {
  posts: number;
  seconds: number;
  perSecond: number;
}

async function ceilingMax(pool: Pool, path: string, posts: number): Promise<CeilingMax> {
  const key = randomBytes(32);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CEILING_CONNECTIONS }, async () => {
      while (next < posts) {
        await signedPost(pool, path, key, next++);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { posts, seconds, perSecond: posts / seconds };
}

async function signedPost(pool: Pool, path: string, key: Buffer, seq: number): Promise<void> {
  const t = wallNow();
  const body = JSON.stringify(alertPayload(t, seq));
  const id = `msg_${seq}`;
  const ts = Math.floor(Date.now() / 1000);
  const res = await pool.request({
    path,
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "tocsin-bench",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": sign(key, id, ts, body),
    },
    body,
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`the receiver answered ${res.statusCode}`);
}

// ---------------------------------------------------------------------------------------------
// Tocsin API

type Method = "GET" | "POST";

function apiClient(server: ServerHandle) {
  const pool = new Pool(server.url, { connections: 8, pipelining: 1 });
  async function call<T>(method: Method, path: string, body: unknown, expect: number): Promise<T> {
    const res = await pool.request({
      path,
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== expect) throw new Error(`${method} ${path} answered ${res.statusCode} (expected ${expect}): ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  return {
    pool,
    call,
    async tenantWithEndpoints(tenant: string, urls: string[]): Promise<void> {
      await call("POST", "/v1/tenants", { id: tenant }, 201);
      for (const url of urls) await call("POST", `/v1/tenants/${tenant}/endpoints`, { url, eventTypes: ["*"] }, 201);
    },
    /** Posts events [first, first+n) as one batch; checks every event got `fanout` deliveries. Returns the round trip in ms. */
    async ingest(tenant: string, first: number, n: number, fanout: number): Promise<number> {
      const events = [];
      for (let i = 0; i < n; i++) events.push({ type: EVENT_TYPE, payload: alertPayload(wallNow(), first + i) });
      const body = JSON.stringify(events);
      const t0 = performance.now();
      const r = await call<{ events: { id: string; deliveries: number }[] }>("POST", `/v1/tenants/${tenant}/events`, body, 202);
      const ms = performance.now() - t0;
      if (r.events.length !== n) throw new Error(`ingest answered ${r.events.length} events for a batch of ${n}`);
      for (const e of r.events) if (e.deliveries !== fanout) throw new Error(`event ${e.id} got ${e.deliveries} deliveries, expected ${fanout}`);
      return ms;
    },
    /** Pages through the tenant's deliveries with `status`; counts them and those with more than one attempt. */
    async countDeliveries(tenant: string, status: string): Promise<{ n: number; retried: number; unattempted: number }> {
      let cursor: string | null = null;
      let n = 0;
      let retried = 0;
      let unattempted = 0;
      do {
        const q: string = `status=${status}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page: { data: { attemptCount: number }[]; nextCursor: string | null } = await call("GET", `/v1/tenants/${tenant}/deliveries?${q}`, undefined, 200);
        n += page.data.length;
        for (const d of page.data) {
          if (d.attemptCount > 1) retried++;
          if (d.attemptCount < 1) unattempted++;
        }
        cursor = page.nextCursor;
      } while (cursor !== null);
      return { n, retried, unattempted };
    },
  };
}

type Api = ReturnType<typeof apiClient>;

/** Waits until the API reports `expected` succeeded deliveries for `tenant`, each with its attempt recorded, and none failed. */
async function verifyDeliveries(api: Api, tenant: string, expected: number): Promise<{ succeeded: number; retried: number }> {
  let last = { n: 0, retried: 0, unattempted: 0 };
  await waitFor(
    `${expected} succeeded deliveries for tenant ${tenant} in GET /deliveries`,
    async () => {
      last = await api.countDeliveries(tenant, "succeeded");
      return last.n >= expected ? null : `${last.n} succeeded so far`;
    },
    WAIT_TIMEOUT_MS,
    200,
  );
  if (last.n !== expected) throw new Error(`tenant ${tenant}: ${last.n} succeeded deliveries, expected ${expected}`);
  if (last.unattempted) throw new Error(`tenant ${tenant}: ${last.unattempted} succeeded deliveries show no recorded attempt`);
  const failed = await api.countDeliveries(tenant, "failed");
  if (failed.n) throw new Error(`tenant ${tenant}: ${failed.n} deliveries failed`);
  return { succeeded: last.n, retried: last.retried };
}

function checkReceived(s: GroupStats | null, expected: number, paths: string[]): GroupStats {
  if (!s) throw new Error(`the receiver has nothing for ${paths.join(", ")}`);
  if (s.count !== expected) throw new Error(`the receiver got ${s.count} requests under /${s.group}/, expected ${expected}`);
  if (s.unique !== expected) throw new Error(`the receiver got ${s.count - s.unique} duplicate deliveries under /${s.group}/`);
  const per = expected / paths.length;
  for (const p of paths) if ((s.paths[p] ?? 0) !== per) throw new Error(`the receiver got ${s.paths[p] ?? 0} requests on ${p}, expected ${per}`);
  if (s.badBody) throw new Error(`${s.badBody} bodies under /${s.group}/ had no numeric t`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface ScenarioResult {
  name: string;
  label: string;
  deliveries: number;
  /** Seconds from the first post to the last arrival at the receiver. */
  seconds: number;
  perSecond: number;
  latency: LatencySummary | null;
  /** Seconds until the last ingest request was answered. */
  ingestSeconds?: number;
  /** Round trip of the ingest requests. */
  ingestLatency?: LatencySummary | null;
  serverCpuSeconds?: number;
  receiverCpuSeconds?: number;
  /** Seconds after the last arrival until the API showed every delivery succeeded. */
  recordLagSeconds?: number;
  retried?: number;
  /** Deliveries already in the database when the scenario started. */
  rowsBefore?: number;
  /** Delivery rate between the 1,000th and 6,000th arrival, and over the last 5,000. */
  earlyRate?: number;
  lateRate?: number;
}

/** Deliveries created so far on this server (the claim query's cost grows with them). */
let deliveriesCreated = 0;

function ratesFromMarks(marks: number[]): { earlyRate?: number; lateRate?: number } {
  const k = marks.length;
  if (k < 11) return {};
  return { earlyRate: 5000 / ((marks[5] - marks[0]) / 1000), lateRate: 5000 / ((marks[k - 1] - marks[k - 6]) / 1000) };
}

/** CPU seconds used so far by the given Tocsin processes together. */
function serverCpu(servers: ServerHandle[]): number {
  let total = 0;
  for (const sv of servers) total += cpuSeconds(sv.pid);
  return total;
}

/**
 * One Tocsin scenario: a tenant with `endpointCount` endpoints on the receiver, `offer` posts the
 * events (and answers the ingest round trips in ms), then waits until the receiver has every
 * delivery exactly once and the API shows each one succeeded with its attempt recorded.
 */
async function tocsinScenario(
  api: Api,
  rx: ReceiverHandle,
  servers: ServerHandle[],
  name: string,
  label: string,
  endpointCount: number,
  expected: number,
  offer: (tenant: string) => Promise<number[]>,
): Promise<ScenarioResult> {
  const tenant = `bench-${name}`;
  const paths = Array.from({ length: endpointCount }, (_, i) => `/${name}/ep${i}`);
  await api.tenantWithEndpoints(
    tenant,
    paths.map((p) => rx.url + p),
  );
  const rowsBefore = deliveriesCreated;
  deliveriesCreated += expected;
  const cpu0 = serverCpu(servers);
  const rcpu0 = cpuSeconds(rx.child.pid);
  const start = wallNow();
  const ingestMs = await offer(tenant);
  const ingestDone = wallNow();
  await waitForReceiver(rx, name, expected);
  const cpu1 = serverCpu(servers);
  const rcpu1 = cpuSeconds(rx.child.pid);
  const s = checkReceived(await rx.stats(name, true), expected, paths);
  const v = await verifyDeliveries(api, tenant, expected);
  const verifiedAt = wallNow();
  const seconds = (s.lastAt - start) / 1000;
  return {
    name,
    label,
    deliveries: expected,
    seconds,
    perSecond: expected / seconds,
    latency: s.latency,
    ingestSeconds: (ingestDone - start) / 1000,
    ingestLatency: summarize(ingestMs),
    serverCpuSeconds: cpu1 - cpu0,
    receiverCpuSeconds: rcpu1 - rcpu0,
    recordLagSeconds: (verifiedAt - s.lastAt) / 1000,
    retried: v.retried,
    rowsBefore,
    ...ratesFromMarks(s.marks),
  };
}

/** `events` events, each to `endpointCount` endpoints, posted as fast as ingest takes them (BATCH_MAX per request). */
function burstScenario(api: Api, rx: ReceiverHandle, servers: ServerHandle[], name: string, label: string, events: number, endpointCount: number): Promise<ScenarioResult> {
  return tocsinScenario(api, rx, servers, name, label, endpointCount, events * endpointCount, async (tenant) => {
    const batches = Math.ceil(events / BATCH_MAX);
    const ingestMs: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: INGEST_IN_FLIGHT }, async () => {
        while (next < batches) {
          const b = next++;
          ingestMs.push(await api.ingest(tenant, b * BATCH_MAX, Math.min(BATCH_MAX, events - b * BATCH_MAX), endpointCount));
        }
      }),
    );
    return ingestMs;
  });
}

/** Offers `rate` events per second for RATE_DURATION_MS, each fanned out to `endpointCount` endpoints. */
function pacedTocsin(api: Api, rx: ReceiverHandle, servers: ServerHandle[], name: string, label: string, rate = RATE_PER_S, endpointCount = 1): Promise<ScenarioResult> {
  const expected = Math.round((rate * RATE_DURATION_MS) / 1000) * endpointCount;
  return tocsinScenario(api, rx, servers, name, label, endpointCount, expected, async (tenant) => {
    const sends: Promise<number>[] = [];
    await paced(rate, RATE_DURATION_MS, TICK_MS, (n, first) => {
      // Stay within the batch limit even if a stalled timer made many events due at once.
      for (let off = 0; off < n; off += BATCH_MAX) sends.push(api.ingest(tenant, first + off, Math.min(BATCH_MAX, n - off), endpointCount));
    });
    return Promise.all(sends);
  });
}

async function pacedCeiling(pool: Pool, rx: ReceiverHandle, name: string, label: string, rate = RATE_PER_S): Promise<ScenarioResult> {
  const path = `/${name}/ep0`;
  const key = randomBytes(32);
  const sends: Promise<void>[] = [];
  const rcpu0 = cpuSeconds(rx.child.pid);
  const start = wallNow();
  await paced(rate, RATE_DURATION_MS, TICK_MS, (n, first) => {
    for (let i = 0; i < n; i++) sends.push(signedPost(pool, path, key, first + i));
  });
  await Promise.all(sends);
  const expected = Math.round((rate * RATE_DURATION_MS) / 1000);
  await waitForReceiver(rx, name, expected);
  const rcpu1 = cpuSeconds(rx.child.pid);
  const s = checkReceived(await rx.stats(name, true), expected, [path]);
  const seconds = (s.lastAt - start) / 1000;
  return { name, label, deliveries: expected, seconds, perSecond: expected / seconds, latency: s.latency, receiverCpuSeconds: rcpu1 - rcpu0 };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one API process and 1, 2, 4 worker processes on a fresh schema each

interface PgRun {
  workers: number;
  burst: ScenarioResult;
  paced: ScenarioResult;
  profile?: ProfileReport;
}

/** A fresh schema in the benchmark database, or null (with the reason printed) when it does not answer. */
async function pgSchema(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    step(`PostgreSQL at ${PG_URL} is not usable (${(e as Error).message}): skipping the PostgreSQL runs`);
    return null;
  } finally {
    await admin.end().catch(() => {});
  }
  const u = new URL(PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end().catch(() => {});
      }
    },
  };
}

async function pgRun(rx: ReceiverHandle, workers: number): Promise<PgRun | null> {
  const schema = await pgSchema();
  if (!schema) return null;
  const env = { TOCSIN_DATABASE_URL: schema.url, TOCSIN_MASTER_KEY: randomBytes(32).toString("base64") };
  const dataDir = join(tempDir!, `pg${workers}`);
  const procs: ServerHandle[] = [];
  const profiles: { name: string; profile: Profiled; pid: number }[] = [];
  const startProfiled = async (name: string, role: "api" | "worker", apiKey?: string) => {
    const profile = profiled(name);
    const proc = await startTocsin(dataDir, role, env, apiKey, profile);
    procs.push(proc);
    if (profile) profiles.push({ name, profile, pid: proc.pid });
    return proc;
  };
  let out: PgRun;
  try {
    execFileSync(process.execPath, [join(ROOT, "bin/tocsin.js"), "migrate"], {
      cwd: ROOT,
      env: { ...process.env, ...env, TOCSIN_DATA_DIR: dataDir },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 60_000,
    });
    const apiProc = await startProfiled(`pg${workers}-api`, "api");
    for (let i = 1; i <= workers; i++) await startProfiled(`pg${workers}-worker${i}`, "worker", apiProc.apiKey);
    const api = apiClient(apiProc);
    try {
      const tag = `pg${workers}`;
      const burst = await burstScenario(api, rx, procs, `${tag}b`, `${tag}: ${PG_EVENTS} events -> ${PG_ENDPOINTS} endpoints`, PG_EVENTS, PG_ENDPOINTS);
      const paced = await pacedTocsin(api, rx, procs, `${tag}p`, `${tag}: @${PG_RATE_PER_S * PG_ENDPOINTS}/s over ${PG_ENDPOINTS} endpoints`, PG_RATE_PER_S, PG_ENDPOINTS);
      out = { workers, burst, paced };
    } finally {
      await api.pool.close().catch(() => {});
    }
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await schema.drop().catch((e: unknown) => step(`could not drop the benchmark schema: ${(e as Error).message}`));
  }
  if (profiles.length) out.profile = collectProfile(`PostgreSQL, tocsin api + ${workers} tocsin worker${workers > 1 ? "s" : ""} (both scenarios, start-up and stop included; all processes summed)`, profiles);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (n: number | undefined | null, digits = 1) => (n === undefined || n === null || Number.isNaN(n) ? "-" : n.toFixed(digits));
const pad = (s: string, w: number) => (s.length >= w ? s : s + " ".repeat(w - s.length));
const padL = (s: string, w: number) => (s.length >= w ? s : " ".repeat(w - s.length) + s);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

function log(line = ""): void {
  process.stdout.write(`${line}\n`);
}

function step(line: string): void {
  process.stdout.write(`  .. ${line}\n`);
}

async function main(): Promise<number> {
  const overrides = tocsinOverrides();
  const started = new Date();
  log(`Tocsin benchmark, ${started.toISOString()}`);
  log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), Node ${process.version}, ${process.platform}/${process.arch}`);
  const rev = revision();
  log(`code: ${rev}`);
  if (Object.keys(overrides).length) log(`server settings from the environment: ${JSON.stringify(overrides)}`);
  log();

  tempDir = mkdtempSync(join(tmpdir(), "tocsin-bench-"));
  if (PROFILE) {
    profileDir = mkdtempSync(join(tmpdir(), "tocsin-bench-profile-"));
    log(`--profile: Tocsin processes time every SQL statement and run under node --cpu-prof, which slows them; raw files in ${profileDir}`);
    log();
  }
  const rx = await startReceiver();
  step(`receiver (pid ${rx.child.pid}) on ${rx.url}`);

  // 1. Ceiling.
  const ceilingNoise = otherCpu(() => [rx.child.pid]);
  const ceilPool = new Pool(rx.url, { connections: CEILING_CONNECTIONS, pipelining: 1 });
  await ceilingMax(ceilPool, "/cwarm/ep0", WARMUP_POSTS);
  await waitForReceiver(rx, "cwarm", WARMUP_POSTS);
  step(`ceiling warm-up: ${WARMUP_POSTS} posts`);
  const rounds: CeilingMax[] = [];
  for (let i = 1; i <= CEILING_ROUNDS; i++) {
    const r = await ceilingMax(ceilPool, `/cmax${i}/ep0`, CEILING_POSTS);
    await waitForReceiver(rx, `cmax${i}`, CEILING_POSTS);
    checkReceived(await rx.stats(`cmax${i}`), CEILING_POSTS, [`/cmax${i}/ep0`]);
    step(`ceiling max, run ${i}: ${CEILING_POSTS} posts in ${f(r.seconds, 2)} s = ${f(r.perSecond, 0)}/s`);
    rounds.push(r);
  }
  const cmax = rounds.reduce((best, r) => (r.perSecond > best.perSecond ? r : best));
  const crate = await pacedCeiling(ceilPool, rx, "crate", `ceiling @${RATE_PER_S}/s`);
  step(`ceiling at ${RATE_PER_S}/s: p50 ${f(crate.latency?.p50, 2)} ms, p99 ${f(crate.latency?.p99, 2)} ms`);
  const crateLow = await pacedCeiling(ceilPool, rx, "clow", `ceiling @${LOW_RATE_PER_S}/s`, LOW_RATE_PER_S);
  step(`ceiling at ${LOW_RATE_PER_S}/s: p50 ${f(crateLow.latency?.p50, 2)} ms, p99 ${f(crateLow.latency?.p99, 2)} ms`);
  await ceilPool.close();
  const ceilingOther = ceilingNoise();

  // 2. Tocsin end to end.
  const serveProfile = profiled("serve");
  const server = await startTocsin(join(tempDir, "data"), "serve", {}, undefined, serveProfile);
  const tocsinNoise = otherCpu(() => [rx.child.pid, server.pid]);
  step(`Tocsin server (pid ${server.pid}) on ${server.url}, RSS after start ${f((procStatusKiB(server.pid, "VmRSS") ?? Number.NaN) / 1024)} MiB`);
  const api = apiClient(server);
  const results: ScenarioResult[] = [];
  try {
    await burstScenario(api, rx, [server], "w", "warm-up", 1_000, 1);
    step("Tocsin warm-up: 1000 events delivered");
    results.push(await burstScenario(api, rx, [server], "a", "a: 20,000 events -> 1 endpoint", 20_000, 1));
    step(`a: ${f(results[0].perSecond, 0)} deliveries/s`);
    results.push(await burstScenario(api, rx, [server], "b", "b: 2,000 events -> 10 endpoints", 2_000, 10));
    step(`b: ${f(results[1].perSecond, 0)} deliveries/s`);
    results.push(await pacedTocsin(api, rx, [server], "c", `c: @${RATE_PER_S}/s -> 1 endpoint`));
    step(`c: p50 ${f(results[2].latency?.p50, 2)} ms, p99 ${f(results[2].latency?.p99, 2)} ms`);
    results.push(await pacedTocsin(api, rx, [server], "d", `d: @${LOW_RATE_PER_S}/s -> 1 endpoint`, LOW_RATE_PER_S));
    step(`d: p50 ${f(results[3].latency?.p50, 2)} ms, p99 ${f(results[3].latency?.p99, 2)} ms`);
  } finally {
    await api.pool.close().catch(() => {});
  }
  const tocsinOther = tocsinNoise();
  const peakKiB = procStatusKiB(server.pid, "VmHWM");
  const rxPeakKiB = rx.child.pid === undefined ? null : procStatusKiB(rx.child.pid, "VmHWM");
  const stopped = await server.stop();
  step(`Tocsin server stopped ${stopped.graceful ? "gracefully" : "by SIGKILL"} in ${f(stopped.ms, 0)} ms`);
  const serveReport = serveProfile
    ? collectProfile("tocsin serve on SQLite (warm-up and scenarios a-d, start-up and stop included)", [{ name: "serve", profile: serveProfile, pid: server.pid }])
    : null;
  // 3. PostgreSQL, 1, 2 and 4 worker processes (report only: they share the 2 cores with the
  // database, the API process and the receiver).
  const pgRuns: PgRun[] = [];
  for (const n of PG_WORKERS) {
    const r = await pgRun(rx, n);
    if (!r) break;
    pgRuns.push(r);
    step(`PostgreSQL, ${n} worker process${n > 1 ? "es" : ""}: ${f(r.burst.perSecond, 0)} deliveries/s; @${PG_RATE_PER_S * PG_ENDPOINTS}/s p99 ${f(r.paced.latency?.p99, 1)} ms`);
  }
  await rx.stop();
  cleanupNow();

  const [a, b, c, d] = results;
  const ratioA = a.perSecond / cmax.perSecond;
  const ratioB = b.perSecond / cmax.perSecond;
  const p99Delta = (c.latency?.p99 ?? Number.NaN) - (crate.latency?.p99 ?? Number.NaN);

  log();
  const head = `${pad("scenario", 36)}${padL("deliveries", 11)}${padL("seconds", 9)}${padL("deliv/s", 10)}${padL("p50 ms", 9)}${padL("p99 ms", 9)}${padL("max ms", 9)}${padL("ingest s", 10)}${padL("srv CPU s", 11)}`;
  log(head);
  log("-".repeat(head.length));
  log(
    `${pad(`ceiling max (${CEILING_CONNECTIONS} conns, best of ${CEILING_ROUNDS})`, 36)}${padL(String(cmax.posts), 11)}${padL(f(cmax.seconds, 2), 9)}${padL(f(cmax.perSecond, 0), 10)}${padL("-", 9)}${padL("-", 9)}${padL("-", 9)}${padL("-", 10)}${padL("-", 11)}`,
  );
  for (const r of [crate, crateLow, a, b, c, d]) {
    log(
      `${pad(r.label, 36)}${padL(String(r.deliveries), 11)}${padL(f(r.seconds, 2), 9)}${padL(f(r.perSecond, 0), 10)}${padL(f(r.latency?.p50, 1), 9)}${padL(f(r.latency?.p99, 1), 9)}${padL(f(r.latency?.max, 1), 9)}${padL(f(r.ingestSeconds, 2), 10)}${padL(f(r.serverCpuSeconds, 2), 11)}`,
    );
  }
  log();
  log(`ingest request round trip: a p50 ${f(a.ingestLatency?.p50)} / p99 ${f(a.ingestLatency?.p99)} ms (1000-event batches); c p50 ${f(c.ingestLatency?.p50)} / p99 ${f(c.ingestLatency?.p99)} ms (~20-event batches)`);
  log(`receiver CPU: a ${f(a.receiverCpuSeconds, 2)} s, b ${f(b.receiverCpuSeconds, 2)} s, c ${f(c.receiverCpuSeconds, 2)} s; ceiling @${RATE_PER_S}/s ${f(crate.receiverCpuSeconds, 2)} s`);
  log(`ceiling runs (posts/s): ${rounds.map((r) => f(r.perSecond, 0)).join(", ")}; the best is the ceiling`);
  log(
    `deliveries already in the database at the start: a ${a.rowsBefore}, b ${b.rowsBefore}, c ${c.rowsBefore}; ` +
      `delivery rate 1,000th-6,000th arrival vs last 5,000: a ${f(a.earlyRate, 0)} vs ${f(a.lateRate, 0)}/s, b ${f(b.earlyRate, 0)} vs ${f(b.lateRate, 0)}/s`,
  );
  log(`last arrival -> every delivery shown succeeded in GET /deliveries: a ${f(a.recordLagSeconds, 2)} s, b ${f(b.recordLagSeconds, 2)} s, c ${f(c.recordLagSeconds, 2)} s`);
  log(`deliveries with more than one attempt: a ${a.retried}, b ${b.retried}, c ${c.retried}; server warn/error log lines: ${server.problems.length}`);
  for (const p of server.problems.slice(0, 5)) log(`  ${p}`);
  const noisy = (o: { seconds: number; other: number }) => o.other > 0.1 * o.seconds;
  log(
    `CPU used by other processes on this machine: ${f(ceilingOther.other, 1)} s during the ${f(ceilingOther.seconds, 0)} s of ceiling runs, ` +
      `${f(tocsinOther.other, 1)} s during the ${f(tocsinOther.seconds, 0)} s of Tocsin runs` +
      (noisy(ceilingOther) || noisy(tocsinOther) ? "  WARNING: the machine was busy with other work; figures are disturbed" : " (quiet)"),
  );
  log(`peak RSS (VmHWM) of the Tocsin server: ${f((peakKiB ?? Number.NaN) / 1024)} MiB (receiver ${f((rxPeakKiB ?? Number.NaN) / 1024)} MiB)`);
  log();
  log(`end-to-end / ceiling throughput, a (1 endpoint):   ${f(ratioA * 100)} %  (target >= ${THROUGHPUT_TARGET * 100} %)  ${verdict(ratioA >= THROUGHPUT_TARGET)}`);
  log(`end-to-end / ceiling throughput, b (10 endpoints): ${f(ratioB * 100)} %  (target >= ${THROUGHPUT_TARGET * 100} %)  ${verdict(ratioB >= THROUGHPUT_TARGET)}`);
  log(
    `p99 at ${RATE_PER_S}/s, Tocsin - ceiling: ${f(c.latency?.p99, 2)} - ${f(crate.latency?.p99, 2)} = ${f(p99Delta, 2)} ms  (target <= ${P99_DELTA_TARGET_MS} ms)  ${verdict(p99Delta <= P99_DELTA_TARGET_MS)}`,
  );
  const lowDelta = (d.latency?.p99 ?? Number.NaN) - (crateLow.latency?.p99 ?? Number.NaN);
  log(`p99 at ${LOW_RATE_PER_S}/s, Tocsin - ceiling: ${f(d.latency?.p99, 2)} - ${f(crateLow.latency?.p99, 2)} = ${f(lowDelta, 2)} ms  (report only)`);
  if (c.perSecond < RATE_PER_S * 0.95) log(`note: c delivered ${f(c.perSecond, 0)}/s of the ${RATE_PER_S}/s offered, so its latency is mostly queueing behind the backlog`);
  if (pgRuns.length) {
    log();
    log(`PostgreSQL (${PG_URL.replace(/\/\/[^@/]*@/, "//")}), 1 API process + N worker processes, a fresh schema each; report only:`);
    log(head);
    log("-".repeat(head.length));
    for (const r of pgRuns.flatMap((x) => [x.burst, x.paced])) {
      log(
        `${pad(r.label, 36)}${padL(String(r.deliveries), 11)}${padL(f(r.seconds, 2), 9)}${padL(f(r.perSecond, 0), 10)}${padL(f(r.latency?.p50, 1), 9)}${padL(f(r.latency?.p99, 1), 9)}${padL(f(r.latency?.max, 1), 9)}${padL(f(r.ingestSeconds, 2), 10)}${padL(f(r.serverCpuSeconds, 2), 11)}`,
      );
    }
    for (const r of pgRuns) {
      log(
        `PostgreSQL, ${r.workers} worker process${r.workers > 1 ? "es" : ""}: ${f((r.burst.perSecond / cmax.perSecond) * 100)} % of the ceiling; ` +
          `p99 at ${PG_RATE_PER_S * PG_ENDPOINTS}/s ${f(r.paced.latency?.p99, 1)} ms (CPU column: API + workers)`,
      );
    }
  } else {
    log();
    log("PostgreSQL: not measured (no database answered)");
  }
  if (serveReport) printProfile(serveReport);
  for (const r of pgRuns) if (r.profile) printProfile(r.profile);
  if (profileDir) {
    log();
    log(`raw profiles (per process: <name>.statements.json, <name>/*.cpuprofile): ${profileDir}`);
  }
  log();
  const r2 = (n: number | undefined | null) => (n === undefined || n === null || Number.isNaN(n) ? null : Math.round(n * 100) / 100);
  const lat = (l: LatencySummary | null | undefined) => (l ? { p50: r2(l.p50), p99: r2(l.p99), max: r2(l.max) } : null);
  const summary = {
    bench: "tocsin",
    date: started.toISOString(),
    cpus: cpus().length,
    node: process.version,
    code: rev,
    serverEnv: overrides,
    ...(profileDir ? { profileDir } : {}),
    ceiling: { maxPerSecond: r2(cmax.perSecond), runs: rounds.map((r) => r2(r.perSecond)), at2000: lat(crate.latency), at1000: lat(crateLow.latency) },
    tocsin: Object.fromEntries(
      results.map((r) => [
        r.name,
        {
          deliveries: r.deliveries,
          rowsBefore: r.rowsBefore,
          seconds: r2(r.seconds),
          perSecond: r2(r.perSecond),
          latency: lat(r.latency),
          ingestSeconds: r2(r.ingestSeconds),
          serverCpuSeconds: r2(r.serverCpuSeconds),
        },
      ]),
    ),
    postgres: pgRuns.map((r) => ({
      workers: r.workers,
      perSecond: r2(r.burst.perSecond),
      ratioToCeiling: r2((r.burst.perSecond / cmax.perSecond) * 100),
      burstLatency: lat(r.burst.latency),
      pacedRate: PG_RATE_PER_S * PG_ENDPOINTS,
      pacedLatency: lat(r.paced.latency),
    })),
    otherCpuSeconds: { ceiling: r2(ceilingOther.other), tocsin: r2(tocsinOther.other) },
    peakRssMiB: r2((peakKiB ?? Number.NaN) / 1024),
    throughputRatioA: r2(ratioA * 100),
    throughputRatioB: r2(ratioB * 100),
    p99DeltaMs: r2(p99Delta),
    p99DeltaLowRateMs: r2(lowDelta),
    pass: { throughputA: ratioA >= THROUGHPUT_TARGET, throughputB: ratioB >= THROUGHPUT_TARGET, p99Delta: p99Delta <= P99_DELTA_TARGET_MS },
  };
  log(JSON.stringify(summary));
  return 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`\nbenchmark failed: ${e instanceof Error ? e.message : String(e)}\n`);
    cleanupNow();
    // Pools and timers of the interrupted scenario may still be pending: do not wait for them.
    process.exit(1);
  },
);
