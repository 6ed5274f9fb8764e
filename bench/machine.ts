// What the machine says: the commit under test, a process's memory and CPU, and how busy the
// machine was with other work (Linux /proc).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ROOT } from "./settings.ts";

export function revision(): string {
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

export function procStatusKiB(pid: number, field: string): number | null {
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
export function cpuSeconds(pid: number | undefined): number {
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
export function machineBusySeconds(): number {
  try {
    const [cpu = ""] = readFileSync("/proc/stat", "utf8").split("\n", 1);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const [user = Number.NaN, nice = Number.NaN, system = Number.NaN, , , irq = Number.NaN, softirq = Number.NaN, steal = 0] = cpu
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

export const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Measures the CPU that processes other than this benchmark use during a phase: on a shared
 * machine (a test suite running next to it) the figures are not trustworthy.
 */
export function otherCpu(pids: () => (number | undefined)[]) {
  const own = () => ownCpuSeconds() + pids().reduce((sum: number, pid) => sum + (pid === undefined ? 0 : cpuSeconds(pid) || 0), 0);
  const busy0 = machineBusySeconds();
  const own0 = own();
  const t0 = performance.now();
  return () => ({ seconds: (performance.now() - t0) / 1000, other: machineBusySeconds() - busy0 - (own() - own0) });
}
