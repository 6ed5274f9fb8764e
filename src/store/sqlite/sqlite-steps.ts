import { type SqlStep, type StepParam, type StepResult, type Steps, isTable } from "../dialect.ts";
import type { Param } from "../sql.ts";
import type { SqliteDb } from "./sqlite-db.ts";

/** Lists and tables bind as JSON text, read with `json_each(?)` (store/dialect.ts). */
function bind(p: StepParam): Param {
  if (isTable(p)) return JSON.stringify(p.table);
  if (Array.isArray(p)) return JSON.stringify(p);
  return p as Param;
}

function exec(db: SqliteDb, step: SqlStep): StepResult {
  const sql = typeof step.sql === "string" ? step.sql : step.sql.sqlite;
  if (sql === undefined) throw new Error(`step "${step.name}" has no SQLite text; the operation must not run it on SQLite`);
  if (typeof sql === "string") {
    const params = step.params.map(bind);
    return step.kind === "all" ? { rows: db.allSync(sql, params), changes: 0 } : { rows: [], changes: db.runSync(sql, params) };
  }
  // One prepared statement per row of the step's table, with the other parameters after the row's.
  const [t, ...rest] = step.params;
  if (t === undefined || !isTable(t)) throw new Error(`step "${step.name}": eachRow needs a table as its first parameter; fix the step`);
  const tail = rest.map(bind);
  const out: StepResult = { rows: [], changes: 0 };
  for (const row of t.table) {
    const params = tail.length ? [...row, ...tail] : (row as Param[]);
    if (step.kind === "all" && sql.changedKey !== undefined) {
      if (db.runSync(sql.eachRow, params) > 0) out.rows.push({ [sql.changedKey]: row[0] });
    } else if (step.kind === "all") out.rows.push(...db.allSync(sql.eachRow, params));
    else out.changes += db.runSync(sql.eachRow, params);
  }
  return out;
}

/**
 * Runs an operation's steps synchronously: call it inside `db.writeTx(() => …)`, so the whole
 * operation is one block of the group commit.
 */
export function runStepsSync<T>(db: SqliteDb, steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next(exec(db, r.value));
  return r.value;
}
