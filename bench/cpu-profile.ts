// Reads V8 CPU profiles (`node --cpu-prof` writes them as .cpuprofile JSON) and ranks functions by
// self time: the time the sampled stack had that function on top, summed over every call-tree node
// that stands for the same function (same name, script and position).

/** The part of a `.cpuprofile` this reads (Chrome DevTools protocol, `Profiler.Profile`). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** The node on top of the stack at each sample. */
  samples?: number[];
  /** Microseconds from the previous sample (the first from startTime). */
  timeDeltas?: number[];
}

export interface FunctionCost {
  name: string;
  url: string;
  /** 1-based, as editors count. */
  line: number;
  selfMs: number;
  /** Share of the busy (not idle) time. */
  pct: number;
}

export interface CpuSummary {
  /** Profiles summed. */
  profiles: number;
  totalMs: number;
  /** Time the thread waited with nothing to run. */
  idleMs: number;
  busyMs: number;
  top: FunctionCost[];
}

/**
 * Self time per call-tree node, in microseconds. A sample stands for the interval until the next
 * one (the last until endTime), as DevTools counts. A profile without samples falls back on
 * hitCount and the mean interval.
 */
function selfMicros(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const add = (id: number, us: number) => self.set(id, (self.get(id) ?? 0) + Math.max(0, us));
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length && deltas.length === samples.length) {
    let t = p.startTime;
    for (const [i, id] of samples.entries()) {
      t += deltas[i]!;
      // The last sample lasts until endTime.
      add(id, deltas[i + 1] ?? p.endTime - t);
    }
    return self;
  }
  const hits = p.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const interval = hits ? (p.endTime - p.startTime) / hits : 0;
  for (const node of p.nodes) if (node.hitCount) add(node.id, node.hitCount * interval);
  return self;
}

/** `root`-relative paths for the project's files, dependencies from node_modules/ on, other URLs (node:internal/…) as they are. */
function shortUrl(url: string, root: string): string {
  const prefix = `file://${root.endsWith("/") ? root : `${root}/`}`;
  if (url.startsWith(prefix)) return url.slice(prefix.length);
  const dep = url.lastIndexOf("/node_modules/");
  return url.startsWith("file://") && dep >= 0 ? url.slice(dep + 1) : url;
}

/** The `top` functions by self time over all `profiles` together. */
export function summarizeCpuProfiles(profiles: CpuProfile[], top = 15, root = ""): CpuSummary {
  const byFunction = new Map<string, { name: string; url: string; line: number; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const p of profiles) {
    const self = selfMicros(p);
    for (const node of p.nodes) {
      const us = self.get(node.id);
      if (!us) continue;
      totalUs += us;
      const f = node.callFrame;
      if (f.functionName === "(idle)") {
        idleUs += us;
        continue;
      }
      const key = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
      const entry = byFunction.get(key);
      if (entry) entry.us += us;
      else byFunction.set(key, { name: f.functionName || "(anonymous)", url: root ? shortUrl(f.url, root) : f.url, line: f.lineNumber + 1, us });
    }
  }
  const busyUs = totalUs - idleUs;
  const ranked = [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, top);
  return {
    profiles: profiles.length,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    top: ranked.map((e) => ({ name: e.name, url: e.url, line: e.line, selfMs: e.us / 1000, pct: busyUs ? (100 * e.us) / busyUs : 0 })),
  };
}

/** The summary as lines of a fixed-width table. */
export function formatCpuSummary(s: CpuSummary): string[] {
  const lines = [
    `${s.profiles} profile${s.profiles === 1 ? "" : "s"}: ${(s.totalMs / 1000).toFixed(2)} s sampled, ${(s.busyMs / 1000).toFixed(2)} s busy, ${(s.idleMs / 1000).toFixed(2)} s idle; self time, % of busy:`,
  ];
  for (const f of s.top) {
    const where = f.url ? `${f.url}:${f.line}` : "(native)";
    lines.push(`${f.selfMs.toFixed(0).padStart(8)} ms ${f.pct.toFixed(1).padStart(5)} %  ${f.name}  ${where}`);
  }
  return lines;
}
