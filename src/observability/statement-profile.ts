import { writeFileSync } from "node:fs";
import type { StatementObserver } from "../store/statement-observer.ts";

/**
 * Per-statement timing, an operator's diagnostic (TOCSIN_PROFILE_STATEMENTS): how often each SQL
 * statement ran and how long it took, so tuning starts from data. The stores call `observe`
 * around every execution when a recorder is given to them, and nothing at all otherwise.
 */

export interface StatementTotals {
  /** The statement's text, whitespace collapsed. */
  sql: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface StatementProfile {
  pid: number;
  startedAt: string;
  writtenAt: string;
  /** Sorted by total time, longest first. */
  statements: StatementTotals[];
}

export interface StatementRecorder {
  observe: StatementObserver;
  /** Totals so far, merged by normalised text. */
  snapshot(): StatementTotals[];
  /** Writes `snapshot()` with the process id and times as JSON to `path`. */
  writeTo(path: string): void;
}

/** Whitespace collapsed, so the same statement written across lines or indented counts as one. */
export function normaliseSql(sql: string): string {
  return sql.replace(/\s+/g, " ").trim();
}

export function createStatementRecorder(now: () => Date = () => new Date()): StatementRecorder {
  const startedAt = now().toISOString();
  // Keyed by the text as given: the hot statements are the same string constants on every call, so
  // the map lookup is cheap; normalising waits until someone reads the totals.
  const byText = new Map<string, { count: number; totalNs: bigint; maxNs: bigint }>();
  const snapshot = (): StatementTotals[] => {
    const merged = new Map<string, StatementTotals>();
    for (const [text, t] of byText) {
      const sql = normaliseSql(text);
      const ms = Number(t.totalNs) / 1e6;
      const max = Number(t.maxNs) / 1e6;
      const m = merged.get(sql);
      if (m) {
        m.count += t.count;
        m.totalMs += ms;
        m.maxMs = Math.max(m.maxMs, max);
      } else merged.set(sql, { sql, count: t.count, totalMs: ms, maxMs: max });
    }
    return [...merged.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count);
  };
  return {
    observe(sql, ns) {
      const t = byText.get(sql);
      if (t) {
        t.count++;
        t.totalNs += ns;
        if (ns > t.maxNs) t.maxNs = ns;
      } else byText.set(sql, { count: 1, totalNs: ns, maxNs: ns });
    },
    snapshot,
    writeTo(path) {
      const profile: StatementProfile = { pid: process.pid, startedAt, writtenAt: now().toISOString(), statements: snapshot() };
      writeFileSync(path, `${JSON.stringify(profile, null, 1)}\n`);
    },
  };
}
