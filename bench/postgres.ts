// PostgreSQL: one API process and 1, 2, 4 worker processes on a fresh schema each.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { type ProfileReport, type Profiled, collectProfile, profiled } from "./profiling.ts";
import { type ReceiverHandle, type ServerHandle, startTocsin } from "./processes.ts";
import { step } from "./report.ts";
import { type ScenarioResult, apiClient, burstScenario, pacedTocsin } from "./scenarios.ts";
import { PG_ENDPOINTS, PG_EVENTS, PG_RATE_PER_S, PG_URL, ROOT } from "./settings.ts";

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one API process and 1, 2, 4 worker processes on a fresh schema each

export interface PgRun {
  workers: number;
  burst: ScenarioResult;
  paced: ScenarioResult;
  profile?: ProfileReport;
}

/** A fresh schema in the benchmark database, or null (with the reason printed) when it does not answer. */
export async function pgSchema(): Promise<{ url: string; drop(): Promise<void> } | null> {
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

/** `root`: the run's temporary folder, for the processes' data folders. */
export async function pgRun(root: string, rx: ReceiverHandle, workers: number): Promise<PgRun | null> {
  const schema = await pgSchema();
  if (!schema) return null;
  const env = { TOCSIN_DATABASE_URL: schema.url, TOCSIN_MASTER_KEY: randomBytes(32).toString("base64") };
  const dataDir = join(root, `pg${workers}`);
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
      const paced = await pacedTocsin(
        api,
        rx,
        procs,
        `${tag}p`,
        `${tag}: @${PG_RATE_PER_S * PG_ENDPOINTS}/s over ${PG_ENDPOINTS} endpoints`,
        PG_RATE_PER_S,
        PG_ENDPOINTS,
      );
      out = { workers, burst, paced };
    } finally {
      await api.pool.close().catch(() => {});
    }
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await schema.drop().catch((e: unknown) => step(`could not drop the benchmark schema: ${(e as Error).message}`));
  }
  if (profiles.length)
    out.profile = collectProfile(
      `PostgreSQL, tocsin api + ${workers} tocsin worker${workers > 1 ? "s" : ""} (both scenarios, start-up and stop included; all processes summed)`,
      profiles,
    );
  return out;
}
