// Reads the statement profiles Tocsin processes write when TOCSIN_PROFILE_STATEMENTS names a file
// (src/observability/statement-profile.ts), sums them, and prints the statements that took longest.

import { existsSync, readFileSync } from "node:fs";
import type { StatementProfile, StatementTotals } from "../src/observability/statement-profile.ts";

/** The profiles among `paths` that were written (a process killed by SIGKILL writes none). */
export function readStatementProfiles(paths: string[]): StatementProfile[] {
  return paths.filter((p) => existsSync(p)).map((p) => JSON.parse(readFileSync(p, "utf8")) as StatementProfile);
}

/** Totals of the same statement across processes added up, longest total first. */
export function mergeStatementTotals(profiles: StatementProfile[]): StatementTotals[] {
  const merged = new Map<string, StatementTotals>();
  for (const p of profiles) {
    for (const s of p.statements) {
      const m = merged.get(s.sql);
      if (m) {
        m.count += s.count;
        m.totalMs += s.totalMs;
        m.maxMs = Math.max(m.maxMs, s.maxMs);
      } else merged.set(s.sql, { ...s });
    }
  }
  return [...merged.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count);
}

const SQL_WIDTH = 110;

/** The `top` statements as lines of a fixed-width table, with the total over all statements. */
export function formatStatements(totals: StatementTotals[], top = 15): string[] {
  const allMs = totals.reduce((n, s) => n + s.totalMs, 0);
  const allCount = totals.reduce((n, s) => n + s.count, 0);
  const lines = [
    `${totals.length} distinct statements, ${allCount} executions, ${(allMs / 1000).toFixed(2)} s in total; the ${Math.min(top, totals.length)} longest:`,
    `${"total ms".padStart(10)}${"%".padStart(7)}${"count".padStart(9)}${"mean µs".padStart(10)}${"max ms".padStart(9)}  statement`,
  ];
  for (const s of totals.slice(0, top)) {
    const sql = s.sql.length > SQL_WIDTH ? `${s.sql.slice(0, SQL_WIDTH - 1)}…` : s.sql;
    lines.push(
      `${s.totalMs.toFixed(1).padStart(10)}${((100 * s.totalMs) / (allMs || 1)).toFixed(1).padStart(7)}${String(s.count).padStart(9)}${((1000 * s.totalMs) / s.count).toFixed(0).padStart(10)}${s.maxMs.toFixed(1).padStart(9)}  ${sql}`,
    );
  }
  return lines;
}
