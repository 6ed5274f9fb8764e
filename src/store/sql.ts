/** A value bound to a `?` placeholder. */
export type Param = string | number | bigint | null;

/** A row as a driver returns it; rows stay inside store/, the rest sees domain types. */
export type Row = Record<string, unknown>;

/**
 * The small SQL surface shared by both backends. Statements use `?` placeholders (the PostgreSQL
 * adapter numbers them) and only SQL that SQLite and PostgreSQL both accept; anything dialect
 * specific lives in store/sqlite or store/postgres, or, for an operation written once as steps
 * (store/complete.ts), beside it as `{ sqlite, pg }` text (store/dialect.ts). A trailing `FOR UPDATE` is dropped on SQLite, where
 * a write transaction already holds the database's lock.
 */
export interface SqlDb {
  all(sql: string, params?: Param[]): Promise<Row[]>;
  get(sql: string, params?: Param[]): Promise<Row | undefined>;
  /** Runs a statement; returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Runs `fn` in one write transaction; `fn` must use the `SqlDb` it is given. */
  tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T>;
}
