import type { Param, Row } from "./sql.ts";

// The store's hot operations (store/complete.ts, …) are written once, as generators of steps: each
// step names one statement and its parameters, and receives the statement's result. A driver per
// backend runs the steps: store/sqlite runs them synchronously inside a group-committed write
// transaction (`db.writeTx` needs a synchronous function), store/postgres awaits each one inside
// its transaction. This module holds what differs between the two and nothing else:
//
// - SQL text: a `string` is shared text with `?` placeholders (numbered `$1, $2, …` on
//   PostgreSQL); `{ sqlite, pg }` gives each its own text, written in that dialect's placeholders.
// - List parameters: a JS array binds as one parameter, read on SQLite with `json_each(?)` (bound
//   as JSON text) and on PostgreSQL with `= ANY($n::text[])` or `unnest($n)` (bound as an array).
// - Table parameters (`table(rows, width)`): a set of rows, for set-based statements. SQLite binds
//   it as one JSON array of row arrays (`json_each(?n)`, columns `value ->> 0, …`); PostgreSQL as
//   one array per column (`unnest($1, $2, …)`), so a table of width w takes w placeholders there.
//   Statements with a table number their SQLite placeholders (`?1, ?2`: the table counts as one).
//   Where SQLite is faster with a prepared statement per row, its text is `{ eachRow }`.
// - Locking: capability flags below say what the backend needs (row locks, planner hints); the
//   operation asks `Dialect` rather than its name.
// - Execution: sync or async, in the drivers (sqlite/sqlite-steps.ts, postgres/pg-steps.ts).
//
// PostgreSQL runs every step as a named statement (`{ name, text, values }`), prepared once per
// connection; a step's name must therefore always go with the same text.

/**
 * A statement SQLite runs once per row of the step's table parameter (its first), bound to that
 * row's values followed by the step's other parameters: for the statements where a prepared
 * statement per row measures faster on SQLite than reading the set from JSON (small sets, wide
 * rows; see complete.ts). Kind "all" concatenates the rows returned, "run" sums the changes.
 */
export interface EachRow {
  eachRow: string;
  /**
   * For kind "all" with a statement that returns nothing: each row whose execution changed a
   * row comes back as `{ [changedKey]: row[0] }`. It stands in for `RETURNING id`, which makes
   * SQLite's UPDATE take two passes (17 µs a delivery against 5 µs, measured on completion).
   */
  changedKey?: string;
}

/**
 * SQL text: shared (`?` placeholders), or one per dialect. A statement only one dialect runs (the
 * operation asks a capability flag first) leaves the other out; a driver given no text throws.
 */
export type StepSql = string | { sqlite?: string | EachRow; pg?: string };

/** A set of rows bound as one parameter (see the module comment). */
export interface Table {
  readonly table: readonly (readonly Param[])[];
  readonly width: number;
}

export const table = (rows: readonly (readonly Param[])[], width: number): Table => ({ table: rows, width });

export type StepParam = Param | readonly Param[] | Table;

export interface SqlStep {
  kind: "run" | "all";
  /** Names the statement: its PostgreSQL prepared-statement name and its label in profiles. */
  name: string;
  sql: StepSql;
  params: StepParam[];
}

export type Step = SqlStep;

/** What a step gives back: the rows returned (kind "all"), the rows changed (kind "run"). */
export interface StepResult {
  rows: Row[];
  changes: number;
}

/** An operation written once: yields steps, receives their results, returns its value. */
export type Steps<T> = Generator<Step, T, StepResult>;

/** What an operation may ask about the backend it runs on. */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /**
   * Concurrent transactions may touch the same rows: take row locks (`FOR UPDATE`), in a fixed
   * order. False on SQLite, whose write transaction holds the whole database.
   */
  readonly rowLocks: boolean;
  /**
   * The planner should be told to hash-join a parameter table against a large table (it cannot
   * estimate the table's size and otherwise picks a nested loop over it).
   */
  readonly planHints: boolean;
  /**
   * `UPDATE … FROM … RETURNING` may return columns of the joined tables, so a lease can return the
   * claimed rows with their event and endpoint. SQLite's RETURNING sees only the updated table.
   */
  readonly returningFromJoins: boolean;
  /** Other processes hear of new work through a notification sent on commit (LISTEN/NOTIFY). */
  readonly notify: boolean;
}

export const SQLITE: Dialect = Object.freeze({ name: "sqlite", rowLocks: false, planHints: false, returningFromJoins: false, notify: false });
export const POSTGRES: Dialect = Object.freeze({ name: "postgres", rowLocks: true, planHints: true, returningFromJoins: true, notify: true });

export const isTable = (p: StepParam): p is Table => typeof p === "object" && p !== null && !Array.isArray(p) && "table" in p;

/** Builds a step (the helper keeps the call sites short). */
export const run = (name: string, sql: StepSql, params: StepParam[]): SqlStep => ({ kind: "run", name, sql, params });
export const all = (name: string, sql: StepSql, params: StepParam[]): SqlStep => ({ kind: "all", name, sql, params });
