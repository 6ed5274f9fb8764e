// --profile: settings that make a Tocsin process write its statement and CPU profiles, and the
// report built from them.

import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { StatementTotals } from "../src/observability/statement-profile.ts";
import { type CpuProfile, type CpuSummary, formatCpuSummary, summarizeCpuProfiles } from "./cpu-profile.ts";
import { f, log } from "./report.ts";
import { PROFILE_TOP, ROOT } from "./settings.ts";
import { formatStatements, mergeStatementTotals, readStatementProfiles } from "./statement-report.ts";

// ---------------------------------------------------------------------------------------------
// Profiles (--profile)

/** Where the raw profiles go; kept after the run (null: not profiling). */
let profileDir: string | null = null;

/** Profiles go to `dir` from now on. */
export function setProfileDir(dir: string): void {
  profileDir = dir;
}

/** Where profiles go, or null when not profiling. */
export const profileDirectory = (): string | null => profileDir;

export interface Profiled {
  env: Record<string, string>;
  nodeArgs: string[];
  statementsFile: string;
  cpuDir: string;
}

export interface ProfileReport {
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
export function profiled(name: string): Profiled | null {
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
export function readCpuProfiles(dir: string, pid: number): { main: CpuProfile[]; others: CpuProfile[] } {
  const out = { main: [] as CpuProfile[], others: [] as CpuProfile[] };
  for (const f of readdirSync(dir)) {
    const parts = f.split(".");
    if (!f.endsWith(".cpuprofile") || parts[3] !== String(pid)) continue;
    (parts[4] === "0" ? out.main : out.others).push(JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile);
  }
  return out;
}

/** Sums the profiles of the stopped processes `procs` under one title. */
export function collectProfile(title: string, procs: { name: string; profile: Profiled; pid: number }[]): ProfileReport {
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

export function printProfile(r: ProfileReport): void {
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
