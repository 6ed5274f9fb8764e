import type pg from "pg";
import { type SqlStep, type StepParam, type Steps, isTable } from "../dialect.ts";
import { toPg } from "./pg-db.ts";

/** Lists bind as arrays; a table as one array per column (store/dialect.ts). */
function bind(params: StepParam[]): unknown[] {
  const out: unknown[] = [];
  for (const p of params) {
    if (isTable(p)) for (let i = 0; i < p.width; i++) out.push(p.table.map((r) => r[i]));
    else out.push(p);
  }
  return out;
}

/** Shared text is numbered once per text (toPg caches it); the name prepares it once per connection. */
function textOf(step: SqlStep): string {
  if (typeof step.sql === "string") return toPg(step.sql);
  if (step.sql.pg === undefined) throw new Error(`step "${step.name}" has no PostgreSQL text; the operation must not run it on PostgreSQL`);
  return step.sql.pg;
}

/** Runs an operation's steps on `c`, one awaited query each: call it inside withTransaction. */
export async function runSteps<T>(c: pg.PoolClient, steps: Steps<T>): Promise<T> {
  let r = steps.next();
  while (!r.done) {
    const step = r.value;
    const res = await c.query({ name: step.name, text: textOf(step), values: bind(step.params) });
    r = steps.next({ rows: res.rows, changes: res.rowCount ?? 0 });
  }
  return r.value;
}
