import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CpuProfile, formatCpuSummary, summarizeCpuProfiles } from "../../bench/cpu-profile.ts";
import { formatStatements, mergeStatementTotals } from "../../bench/statement-report.ts";

const frame = (functionName: string, url = "", lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: lineNumber < 0 ? -1 : 4 });

/** root → (idle), handler → JSON.stringify, handler again (another node, same function), (garbage collector). */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 3, 5, 6] },
    { id: 2, callFrame: frame("(idle)") },
    { id: 3, callFrame: frame("handler", "file:///srv/tocsin/src/a.ts", 9), children: [4] },
    { id: 4, callFrame: frame("stringify") },
    { id: 5, callFrame: frame("handler", "file:///srv/tocsin/src/a.ts", 9) },
    { id: 6, callFrame: frame("(garbage collector)") },
  ],
  startTime: 0,
  // Sample times 100, 1100, 2100, 4100, 4600, 5100; each lasts until the next, the last until endTime.
  samples: [3, 4, 4, 2, 5, 6],
  timeDeltas: [100, 1000, 1000, 2000, 500, 500],
  endTime: 6100,
};

describe("bench profile report", () => {
  it("ranks functions by self time, summing the nodes of one function and leaving idle time out", () => {
    const s = summarizeCpuProfiles([PROFILE], 15, "/srv/tocsin");
    assert.deepEqual([s.profiles, s.totalMs, s.idleMs, s.busyMs], [1, 6, 0.5, 5.5]);
    assert.deepEqual(
      s.top.map((f) => [f.name, f.url, f.line, f.selfMs, Math.round(f.pct * 10) / 10]),
      [
        ["stringify", "", 0, 3, 54.5],
        ["handler", "src/a.ts", 10, 1.5, 27.3],
        ["(garbage collector)", "", 0, 1, 18.2],
      ],
    );
    assert.deepEqual(summarizeCpuProfiles([PROFILE], 1).top[0].name, "stringify");
    const dep: CpuProfile = {
      ...PROFILE,
      nodes: PROFILE.nodes.map((n) => (n.id === 4 ? { ...n, callFrame: frame("parse", "file:///opt/x/node_modules/pg/lib/result.js", 81) } : n)),
    };
    assert.deepEqual(
      [summarizeCpuProfiles([dep], 1, "/srv/tocsin").top[0].url, summarizeCpuProfiles([dep], 1, "/srv/tocsin").top[0].line],
      ["node_modules/pg/lib/result.js", 82],
    );
    const lines = formatCpuSummary(s);
    assert.match(lines[0], /^1 profile: 0\.01 s sampled/);
    assert.match(lines[2], /27\.3 % {2}handler {2}src\/a\.ts:10$/);
  });

  it("adds up several profiles, and falls back on hit counts when there are no samples", () => {
    const hitsOnly: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2, 3] },
        { id: 2, callFrame: frame("stringify"), hitCount: 3 },
        { id: 3, callFrame: frame("(idle)"), hitCount: 1 },
      ],
      startTime: 1000,
      endTime: 5000,
    };
    const s = summarizeCpuProfiles([PROFILE, hitsOnly]);
    assert.deepEqual([s.profiles, s.totalMs, s.idleMs], [2, 10, 1.5]);
    assert.deepEqual([s.top[0].name, s.top[0].selfMs], ["stringify", 6]);
    assert.equal(s.top[1].url, "file:///srv/tocsin/src/a.ts");
  });

  it("merges the statement totals of several processes and lists the longest first", () => {
    const proc = (statements: { sql: string; count: number; totalMs: number; maxMs: number }[]) => ({ pid: 1, startedAt: "", writtenAt: "", statements });
    const merged = mergeStatementTotals([
      proc([
        { sql: "COMMIT", count: 10, totalMs: 5, maxMs: 1 },
        { sql: "SELECT 1", count: 1, totalMs: 1, maxMs: 1 },
      ]),
      proc([{ sql: "SELECT 1", count: 3, totalMs: 6, maxMs: 4 }]),
    ]);
    assert.deepEqual(merged, [
      { sql: "SELECT 1", count: 4, totalMs: 7, maxMs: 4 },
      { sql: "COMMIT", count: 10, totalMs: 5, maxMs: 1 },
    ]);
    const lines = formatStatements(merged, 1);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^2 distinct statements, 14 executions, 0\.01 s in total; the 1 longest:/);
    assert.match(lines[2], /^\s+7\.0\s+58\.3\s+4\s+1750\s+4\.0 {2}SELECT 1$/);
  });
});
