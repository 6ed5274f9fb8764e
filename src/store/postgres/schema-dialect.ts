import {
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  type Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from "kysely";

/**
 * Kysely's PostgreSQL dialect with an introspector that looks at one schema only.
 *
 * The migrator asks the introspector whether its bookkeeping tables exist. Kysely's own
 * introspector answers by listing every table of every schema in the database, calling
 * `has_schema_privilege` and `pg_get_serial_sequence` on each. When another schema of the same
 * database is dropped during that scan, the call fails with "schema … does not exist" and the
 * migration with it. Tocsin shares a database with other applications (or, in tests, with other
 * Tocsin schemas created and dropped concurrently), so it only looks at its own schema.
 */
export class SchemaPostgresDialect extends PostgresDialect {
  readonly #schema: string;

  constructor(config: PostgresDialectConfig, schema: string) {
    super(config);
    this.#schema = schema;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator runs before any typed schema
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.#schema);
  }
}

/** Names of the schema and of its tables and views; columns are not listed (the migrator needs names only). */
class SchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see SchemaPostgresDialect
  readonly #db: Kysely<any>;
  readonly #schema: string;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see SchemaPostgresDialect
  constructor(db: Kysely<any>, schema: string) {
    this.#db = db;
    this.#schema = schema;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname = ${this.#schema}`.execute(this.#db);
    return r.rows;
  }

  async getTables(_options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    const r = await sql<{ name: string; kind: string }>`
      SELECT c.relname AS name, c.relkind AS kind
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ${this.#schema} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       ORDER BY c.relname`.execute(this.#db);
    return r.rows.map((t) => ({ name: t.name, schema: this.#schema, isView: t.kind === "v" || t.kind === "m", isForeign: t.kind === "f", columns: [] }));
  }
}
