import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import type { Delivery, EventRecord, EventType, Tenant } from "../../core/types.ts";
import { migrationProvider } from "../migrations/index.ts";
import { type Page, type PageResult, type Store, decodeCursor, encodeCursor } from "../store.ts";
import { createSqliteQueue } from "./sqlite-queue.ts";
import { type Row, rowToAttempt, rowToDelivery, rowToEndpoint, rowToEvent, rowToEventType, rowToTenant } from "./rows.ts";

export interface SqliteStoreOptions {
  path: string;
  synchronous: "NORMAL" | "FULL";
  busyTimeoutMs?: number;
}

/** A tiny layer over node:sqlite: statements prepared once, synchronous BEGIN IMMEDIATE transactions. */
export class SqliteDb {
  readonly db: DatabaseSync;
  private readonly cache = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.db = db;
  }
  stmt(sql: string): StatementSync {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }
  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }
  /**
   * Runs `fn` in a write transaction. Every store method is synchronous inside, so no other
   * JavaScript can interleave with an open transaction on this single connection.
   */
  tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw e;
    }
  }
}

export async function migrateSqlite(db: DatabaseSync): Promise<void> {
  const { createNodeSqliteDialect } = await import("./node-sqlite-dialect.ts");
  const k = new Kysely({ dialect: createNodeSqliteDialect(db) });
  const { error, results } = await new Migrator({ db: k, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    throw new Error(`Database migration ${failed?.migrationName ?? ""} failed; the database is unchanged by it`, { cause: error });
  }
}

function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => string): PageResult<T> {
  const more = rows.length > limit;
  const data = (more ? rows.slice(0, limit) : rows).map(map);
  return { data, nextCursor: more ? encodeCursor(key(rows[limit - 1])) : null };
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const raw = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec(`PRAGMA synchronous = ${opts.synchronous}`);
  raw.exec("PRAGMA foreign_keys = OFF");
  await migrateSqlite(raw);
  const db = new SqliteDb(raw);
  const queue = createSqliteQueue(db);

  const cancelUnfinished = (where: string, param: string, now: number) =>
    db.run(
      `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ?
       WHERE ${where} = ? AND status IN ('pending', 'delivering')`,
      now,
      param,
    );

  const store: Store = {
    ...queue,
    async ping() {
      db.get("SELECT 1 AS one");
    },
    async close() {
      raw.close();
    },
    async getMeta(key) {
      return (db.get("SELECT value FROM meta WHERE key = ?", key)?.value as string | undefined) ?? null;
    },
    async setMeta(key, value) {
      db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
    },

    async createTenant(t) {
      const n = db.run(
        "INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        t.id,
        t.name,
        JSON.stringify(t.metadata),
        t.createdAt,
        t.updatedAt,
      );
      return n === 1 ? t : null;
    },
    async getTenant(id) {
      const r = db.get("SELECT * FROM tenants WHERE id = ?", id);
      return r ? rowToTenant(r) : null;
    },
    async listTenants(p: Page) {
      const after = decodeCursor(p.cursor) ?? "";
      const rows = db.all("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?", after, p.limit + 1);
      return page<Tenant>(rows, p.limit, rowToTenant, (r) => r.id as string);
    },
    async updateTenant(id, changes, now) {
      return db.tx(() => {
        const r = db.get("SELECT * FROM tenants WHERE id = ?", id);
        if (!r) return null;
        const t = rowToTenant(r);
        if (changes.name !== undefined) t.name = changes.name;
        if (changes.metadata !== undefined) t.metadata = changes.metadata;
        t.updatedAt = now;
        db.run("UPDATE tenants SET name = ?, metadata = ?, updated_at = ? WHERE id = ?", t.name, JSON.stringify(t.metadata), now, id);
        return t;
      });
    },
    async deleteTenant(id, now) {
      return db.tx(() => {
        if (db.run("DELETE FROM tenants WHERE id = ?", id) === 0) return false;
        db.run(
          `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ?
           WHERE tenant_id = ? AND status IN ('pending', 'delivering')`,
          now,
          id,
        );
        db.run("DELETE FROM endpoints WHERE tenant_id = ?", id);
        return true;
      });
    },

    async createEndpoint(e, now) {
      db.run(
        `INSERT INTO endpoints (id, tenant_id, url, name, description, event_types, enabled, disabled_reason, secret_enc, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        e.id,
        e.tenantId,
        e.url,
        e.name,
        e.description,
        JSON.stringify(e.eventTypes),
        e.enabled ? 1 : 0,
        e.enabled ? null : "manual",
        e.secretEnc,
        now,
        now,
      );
      return rowToEndpoint(db.get("SELECT * FROM endpoints WHERE id = ?", e.id)!);
    },
    async getEndpoint(tenantId, id) {
      const r = db.get("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?", tenantId, id);
      return r ? rowToEndpoint(r) : null;
    },
    async getEndpointSecret(tenantId, id) {
      return (db.get("SELECT secret_enc FROM endpoints WHERE tenant_id = ? AND id = ?", tenantId, id)?.secret_enc as string) ?? null;
    },
    async listEndpoints(tenantId, p) {
      const after = decodeCursor(p.cursor) ?? "";
      const rows = db.all("SELECT * FROM endpoints WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?", tenantId, after, p.limit + 1);
      return page(rows, p.limit, rowToEndpoint, (r) => r.id as string);
    },
    async countEndpoints(tenantId) {
      return Number(db.get("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?", tenantId)!.n);
    },
    async updateEndpoint(tenantId, id, c, now) {
      return db.tx(() => {
        const r = db.get("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?", tenantId, id);
        if (!r) return null;
        const sets: string[] = [];
        const params: SQLInputValue[] = [];
        const set = (col: string, v: SQLInputValue) => {
          sets.push(`${col} = ?`);
          params.push(v);
        };
        if (c.url !== undefined) set("url", c.url);
        if (c.name !== undefined) set("name", c.name);
        if (c.description !== undefined) set("description", c.description);
        if (c.eventTypes !== undefined) set("event_types", JSON.stringify(c.eventTypes));
        if (c.enabled !== undefined) set("enabled", c.enabled ? 1 : 0);
        if (c.disabledReason !== undefined) set("disabled_reason", c.disabledReason);
        if (c.secretEnc !== undefined) set("secret_enc", c.secretEnc);
        set("updated_at", now);
        db.db.prepare(`UPDATE endpoints SET ${sets.join(", ")}, version = version + 1 WHERE id = ?`).run(...params, id);
        return rowToEndpoint(db.get("SELECT * FROM endpoints WHERE id = ?", id)!);
      });
    },
    async deleteEndpoint(tenantId, id, now) {
      return db.tx(() => {
        if (db.run("DELETE FROM endpoints WHERE tenant_id = ? AND id = ?", tenantId, id) === 0) return false;
        cancelUnfinished("endpoint_id", id, now);
        return true;
      });
    },

    async createEventType(t) {
      const n = db.run(
        "INSERT INTO event_types (name, description, schema, example, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        t.name,
        t.description,
        json(t.schema),
        json(t.example),
        t.createdAt,
        t.updatedAt,
      );
      return n === 1 ? t : null;
    },
    async getEventType(name) {
      const r = db.get("SELECT * FROM event_types WHERE name = ?", name);
      return r ? rowToEventType(r) : null;
    },
    async listEventTypes(p) {
      const after = decodeCursor(p.cursor) ?? "";
      const rows = db.all("SELECT * FROM event_types WHERE name > ? ORDER BY name LIMIT ?", after, p.limit + 1);
      return page<EventType>(rows, p.limit, rowToEventType, (r) => r.name as string);
    },
    async updateEventType(name, c, now) {
      return db.tx(() => {
        const r = db.get("SELECT * FROM event_types WHERE name = ?", name);
        if (!r) return null;
        const t = rowToEventType(r);
        if (c.description !== undefined) t.description = c.description;
        if (c.schema !== undefined) t.schema = c.schema;
        if (c.example !== undefined) t.example = c.example;
        t.updatedAt = now;
        db.run(
          "UPDATE event_types SET description = ?, schema = ?, example = ?, updated_at = ? WHERE name = ?",
          t.description,
          json(t.schema),
          json(t.example),
          now,
          name,
        );
        return t;
      });
    },
    async deleteEventType(name) {
      return db.run("DELETE FROM event_types WHERE name = ?", name) === 1;
    },

    async getEvent(tenantId, id) {
      const r = db.get("SELECT * FROM events WHERE tenant_id = ? AND id = ?", tenantId, id);
      return r ? rowToEvent(r) : null;
    },
    async listEvents(tenantId, p, filter) {
      const before = decodeCursor(p.cursor) ?? "\uffff";
      const rows = filter.type
        ? db.all("SELECT * FROM events WHERE tenant_id = ? AND id < ? AND type = ? ORDER BY id DESC LIMIT ?", tenantId, before, filter.type, p.limit + 1)
        : db.all("SELECT * FROM events WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?", tenantId, before, p.limit + 1);
      return page<EventRecord>(rows, p.limit, rowToEvent, (r) => r.id as string);
    },

    async listDeliveries(tenantId, f, p) {
      const before = decodeCursor(p.cursor) ?? "\uffff";
      const where = ["tenant_id = ?", "id < ?"];
      const params: SQLInputValue[] = [tenantId, before];
      if (f.endpointId) {
        where.push("endpoint_id = ?");
        params.push(f.endpointId);
      }
      if (f.eventId) {
        where.push("event_id = ?");
        params.push(f.eventId);
      }
      if (f.status) {
        where.push("status = ?");
        params.push(f.status);
      }
      const rows = db.all(`SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, ...params, p.limit + 1);
      return page<Delivery>(rows, p.limit, rowToDelivery, (r) => r.id as string);
    },
    async getDelivery(tenantId, id) {
      const r = db.get("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?", tenantId, id);
      return r ? rowToDelivery(r) : null;
    },
    async listAttempts(tenantId, deliveryId) {
      return db.all("SELECT * FROM attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY attempt_no", tenantId, deliveryId).map(rowToAttempt);
    },
    async retryDelivery(tenantId, id, now) {
      return db.tx(() => {
        const r = db.get("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?", tenantId, id);
        if (!r) return "not_found" as const;
        if (r.status !== "failed") return "not_failed" as const;
        db.run("UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ?", now, now, id);
        return rowToDelivery(db.get("SELECT * FROM deliveries WHERE id = ?", id)!);
      });
    },
  };
  return store;
}
