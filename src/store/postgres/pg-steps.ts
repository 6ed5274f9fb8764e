import type pg from "pg";
import { type SqlStep, type StepParam, type Steps, isTable } from "../dialect.ts";
import type { IngestResult, NewEvent } from "../store.ts";
import { toPg } from "./pg-db.ts";

/** The backend's own ingest, run on the same client (inside the same transaction). */
export type IngestAsync = (tenantId: string, events: NewEvent[], now: number) => Promise<IngestResult[] | null>;

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
const textOf = (step: SqlStep) => (typeof step.sql === "string" ? toPg(step.sql) : step.sql.pg);

/** Runs an operation's steps on `c`, one awaited query each: call it inside withTransaction. */
export async function runSteps<T>(c: pg.PoolClient, steps: Steps<T>, ingest: IngestAsync): Promise<T> {
  let r = steps.next();
  while (!r.done) {
    const step = r.value;
    if (step.kind === "ingest") {
      r = steps.next({ rows: [], changes: 0, ingested: await ingest(step.tenantId, step.events, step.now) });
      continue;
    }
    const res = await c.query({ name: step.name, text: textOf(step), values: bind(step.params) });
    r = steps.next({ rows: res.rows, changes: res.rowCount ?? 0 });
  }
  return r.value;
}
