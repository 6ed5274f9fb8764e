import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { SqliteDialect } from "kysely";

/**
 * Kysely's SqliteDialect on the built-in `node:sqlite`: `prepare()` must report `reader` (whether
 * the statement returns rows) and take parameters as an array.
 */
export function createNodeSqliteDialect(db: DatabaseSync): SqliteDialect {
  return new SqliteDialect({
    database: {
      close: () => {},
      prepare(sql: string) {
        const stmt = db.prepare(sql);
        return {
          reader: stmt.columns().length > 0,
          all: (params: readonly unknown[]) => stmt.all(...(params as SQLInputValue[])),
          run: (params: readonly unknown[]) => stmt.run(...(params as SQLInputValue[])),
          iterate: (params: readonly unknown[]) => stmt.iterate(...(params as SQLInputValue[])),
        };
      },
    },
  });
}
