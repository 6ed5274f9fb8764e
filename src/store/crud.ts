import type { ApiKey } from "../core/api-keys.ts";
import { idFloor } from "../core/ids.ts";
import type { Delivery, EventRecord, EventType, Tenant } from "../core/types.ts";
import { parseSettings } from "../core/endpoint-settings.ts";
import { rowToAlert, rowToBatch, rowToApiKey, rowToAttempt, rowToDelivery, rowToEndpoint, rowToEvent, rowToEventType, rowToTenant } from "./rows.ts";
import { createdBetween } from "./created-between.ts";
import { RESET_HEALTH, rowToHealth } from "./operations.ts";
import { createReplayMethods } from "./replays.ts";
import type { Param, Row, SqlDb } from "./sql.ts";
import { type DeliveryFilter, type EndpointSecrets, type Page, type PageResult, type Store, decodeCursor, encodeCursor } from "./store.ts";

/** The Store methods that are plain reads and writes, written once in SQL both backends accept. */
export type CrudMethods = Omit<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned" | "heartbeat" | "releaseDeadOwners" | "subscribeDue" | "ping" | "blockedWrites" | "close" | "operationalStats" | "deliveryStats">;

function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => string): PageResult<T> {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  const data = (rows.length > limit ? rows.slice(0, limit) : rows).map(map);
  return { data, nextCursor: last ? encodeCursor(key(last)) : null };
}

export const RELEASE_EXPIRED =
  "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL WHERE status = 'delivering' AND lease_until < ?";
export const RELEASE_OWNED =
  "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE status = 'delivering' AND lease_owner = ?";

const CIPHERTEXT_COLUMNS = new Set<string>(["secret_enc", "previous_secret_enc", "credentials_enc"]);

const rowToSecrets = (r: Row): EndpointSecrets => ({
  secretEnc: r.secret_enc as string,
  previousSecretEnc: (r.previous_secret_enc as string | null) ?? null,
  credentialsEnc: (r.credentials_enc as string | null) ?? null,
});

/** Every api_keys column but the hash, which only the look-up by hash reads. */
const KEY_COLUMNS = "id, kind, tenant_id, name, scopes, prefix, expires_at, revoked_at, last_used_at, created_at";

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const CANCEL = `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ?
  WHERE status IN ('pending', 'delivering') AND`;

/** The statement behind GET …/deliveries: a tenant's deliveries, newest first, with the list's filters. */
export function listDeliveriesQuery(tenantId: string, f: DeliveryFilter, p: Page): { sql: string; params: Param[] } {
  const range = createdBetween(f.since, f.until);
  // An event has one delivery per endpoint: find them by event_id. Written so that no index can
  // serve it, the tenant test cannot lead a planner without statistics (SQLite's default) to walk
  // the tenant's whole history in deliveries_tenant instead.
  const where = [f.eventId ? "tenant_id || '' = ?" : "tenant_id = ?", "id < ?", ...range.where];
  const params: Param[] = [tenantId, decodeCursor(p.cursor) ?? "\uffff", ...range.params];
  if (f.eventType !== undefined && f.eventType !== "*") {
    if (f.eventType.endsWith(".*")) {
      // substr rather than LIKE: `_` in a type name is a LIKE wildcard, and both dialects have substr.
      const prefix = f.eventType.slice(0, -1);
      where.push("substr(event_type, 1, ?) = ?");
      params.push(prefix.length, prefix);
    } else {
      where.push("event_type = ?");
      params.push(f.eventType);
    }
  }
  for (const [col, v] of [
    ["endpoint_id", f.endpointId],
    ["event_id", f.eventId],
    ["status", f.status],
  ] as const) {
    if (v) {
      where.push(`${col} = ?`);
      params.push(v);
    }
  }
  return { sql: `SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, params: [...params, p.limit + 1] };
}

export function createCrud(db: SqlDb): CrudMethods {
  return {
    ...createReplayMethods(db),
    async getMeta(key) {
      return ((await db.get("SELECT value FROM meta WHERE key = ?", [key]))?.value as string | undefined) ?? null;
    },
    async setMeta(key, value) {
      await db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
    },
    async acquireLease(name, owner, now, ttlMs) {
      // value = 13-digit expiry (epoch ms, zero-padded so text order is time order) + ":" + owner.
      const value = `${String(now + ttlMs).padStart(13, "0")}:${owner}`;
      const n = await db.run(
        `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE substr(meta.value, 1, 13) < ? OR substr(meta.value, 15) = ?`,
        [`lease:${name}`, value, String(now).padStart(13, "0"), owner],
      );
      return n === 1;
    },

    async createTenant(t) {
      const n = await db.run("INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", [
        t.id,
        t.name,
        JSON.stringify(t.metadata),
        t.createdAt,
        t.updatedAt,
      ]);
      return n === 1 ? t : null;
    },
    async getTenant(id) {
      const r = await db.get("SELECT * FROM tenants WHERE id = ?", [id]);
      return r ? rowToTenant(r) : null;
    },
    async listTenants(p) {
      const rows = await db.all("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?", [decodeCursor(p.cursor) ?? "", p.limit + 1]);
      return page<Tenant>(rows, p.limit, rowToTenant, (r) => r.id as string);
    },
    async updateTenant(id, changes, now) {
      return db.tx(async (tx) => {
        const r = await tx.get("SELECT * FROM tenants WHERE id = ? FOR UPDATE", [id]);
        if (!r) return null;
        const t = rowToTenant(r);
        if (changes.name !== undefined) t.name = changes.name;
        if (changes.metadata !== undefined) t.metadata = changes.metadata;
        t.updatedAt = now;
        await tx.run("UPDATE tenants SET name = ?, metadata = ?, updated_at = ? WHERE id = ?", [t.name, JSON.stringify(t.metadata), now, id]);
        return t;
      });
    },
    async deleteTenant(id, now) {
      return db.tx(async (tx) => {
        if ((await tx.run("DELETE FROM tenants WHERE id = ?", [id])) === 0) return false;
        await tx.run(`${CANCEL} tenant_id = ?`, [now, id]);
        await tx.run("DELETE FROM endpoint_versions WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ?)", [id]);
        await tx.run("DELETE FROM endpoints WHERE tenant_id = ?", [id]);
        // A tenant re-created with the same id starts without alerts.
        await tx.run("DELETE FROM alert_sends WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM alerts WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM endpoint_health WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM replays WHERE tenant_id = ?", [id]);
        await tx.run("UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL", [now, id]);
        return true;
      });
    },

    async createEndpoint(e, now) {
      await db.run(
        `INSERT INTO endpoints (id, tenant_id, url, name, description, event_types, enabled, disabled_reason, secret_enc, version, created_at, updated_at,
           settings, credentials_enc, min_severity, validation_status, batch_max_events, batch_max_wait_ms, rate_per_sec, rate_burst)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
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
          e.settings ? JSON.stringify(e.settings) : null,
          e.credentialsEnc ?? null,
          e.minSeverity ?? null,
          e.validationStatus ?? "none",
          e.settings?.batch?.maxEvents ?? null,
          e.settings?.batch?.maxWaitMs ?? null,
          e.settings?.rateLimit?.perSecond ?? null,
          e.settings?.rateLimit?.burst ?? null,
        ],
      );
      return rowToEndpoint((await db.get("SELECT * FROM endpoints WHERE id = ?", [e.id]))!);
    },
    async getEndpoint(tenantId, id) {
      const r = await db.get("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToEndpoint(r) : null;
    },
    async getEndpointSecrets(tenantId, id) {
      const r = await db.get("SELECT secret_enc, previous_secret_enc, credentials_enc FROM endpoints WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToSecrets(r) : null;
    },
    async getEndpointForDelivery(id) {
      const r = await db.get("SELECT * FROM endpoints WHERE id = ?", [id]);
      return r ? { endpoint: rowToEndpoint(r), secrets: rowToSecrets(r) } : null;
    },
    async setValidationResult(tenantId, id, version, status, error, now) {
      const n = await db.run(
        "UPDATE endpoints SET validation_status = ?, validation_error = ?, validated_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?",
        [status, error, status === "passed" ? now : null, now, tenantId, id, version],
      );
      return n === 1;
    },
    async listCiphertexts(afterId, limit) {
      const rows = await db.all("SELECT id, secret_enc, previous_secret_enc, credentials_enc FROM endpoints WHERE id > ? ORDER BY id LIMIT ?", [afterId, limit]);
      return rows.map((r) => ({ id: r.id as string, ...rowToSecrets(r) }));
    },
    async replaceCiphertext(id, column, from, to) {
      if (!CIPHERTEXT_COLUMNS.has(column)) throw new Error(`not a ciphertext column: ${column}`);
      return (await db.run(`UPDATE endpoints SET ${column} = ? WHERE id = ? AND ${column} = ?`, [to, id, from])) === 1;
    },
    async listPendingValidation(limit) {
      return (await db.all("SELECT * FROM endpoints WHERE validation_status = 'pending' ORDER BY id LIMIT ?", [limit])).map(rowToEndpoint);
    },
    async listEndpoints(tenantId, p) {
      const rows = await db.all("SELECT * FROM endpoints WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?", [tenantId, decodeCursor(p.cursor) ?? "", p.limit + 1]);
      return page(rows, p.limit, rowToEndpoint, (r) => r.id as string);
    },
    async countEndpoints(tenantId) {
      return Number((await db.get("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?", [tenantId]))!.n);
    },
    async updateEndpoint(tenantId, id, c, now) {
      const sets: string[] = [];
      const params: Param[] = [];
      const set = (col: string, v: Param) => {
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
      if (c.settings !== undefined) {
        set("settings", JSON.stringify(c.settings));
        set("batch_max_events", c.settings.batch?.maxEvents ?? null);
        set("batch_max_wait_ms", c.settings.batch?.maxWaitMs ?? null);
        set("rate_per_sec", c.settings.rateLimit?.perSecond ?? null);
        set("rate_burst", c.settings.rateLimit?.burst ?? null);
      }
      if (c.minSeverity !== undefined) set("min_severity", c.minSeverity);
      if (c.credentialsEnc !== undefined) set("credentials_enc", c.credentialsEnc);
      if (c.validationStatus !== undefined) set("validation_status", c.validationStatus);
      if (c.validationError !== undefined) set("validation_error", c.validationError);
      if (c.validatedAt !== undefined) set("validated_at", c.validatedAt);
      if (c.previousSecretEnc !== undefined) set("previous_secret_enc", c.previousSecretEnc);
      if (c.previousSecretExpiresAt !== undefined) set("previous_secret_expires_at", c.previousSecretExpiresAt);
      set("updated_at", now);
      return db.tx(async (tx) => {
        // Deliveries pinned to the version being replaced keep its settings: keep a copy of them.
        if (c.settings !== undefined) {
          await tx.run(
            `INSERT INTO endpoint_versions (endpoint_id, version, settings, created_at)
             SELECT id, version, settings, ? FROM endpoints WHERE tenant_id = ? AND id = ? ON CONFLICT (endpoint_id, version) DO NOTHING`,
            [now, tenantId, id],
          );
        }
        const wasEnabled = c.enabled === true ? await tx.get("SELECT enabled FROM endpoints WHERE tenant_id = ? AND id = ? FOR UPDATE", [tenantId, id]) : undefined;
        const n = await tx.run(`UPDATE endpoints SET ${sets.join(", ")}, version = version + 1 WHERE tenant_id = ? AND id = ?`, [...params, tenantId, id]);
        if (n === 0) return null;
        // Enabled again by hand: a fresh start, or the old failure streak would disable it again at once.
        if (wasEnabled && Number(wasEnabled.enabled) === 0) await tx.run(RESET_HEALTH, [now, id]);
        return rowToEndpoint((await tx.get("SELECT * FROM endpoints WHERE id = ?", [id]))!);
      });
    },
    async getEndpointHealth(tenantId, ids) {
      if (ids.length === 0) return new Map();
      const rows = await db.all(`SELECT * FROM endpoint_health WHERE tenant_id = ? AND endpoint_id IN (${placeholders(ids.length)})`, [tenantId, ...ids]);
      return new Map(rows.map((r) => [r.endpoint_id as string, rowToHealth(r)]));
    },
    async getEndpointSettingsAt(id, version) {
      // Settings change only through updateEndpoint, which keeps the replaced version's settings:
      // the first copy at or after `version` holds them; none means they are the current ones.
      const r = await db.get("SELECT settings FROM endpoint_versions WHERE endpoint_id = ? AND version >= ? ORDER BY version LIMIT 1", [id, version]);
      return r ? { settings: parseSettings(strOrNull(r.settings)) } : null;
    },
    async deleteEndpoint(tenantId, id, now) {
      return db.tx(async (tx) => {
        if ((await tx.run("DELETE FROM endpoints WHERE tenant_id = ? AND id = ?", [tenantId, id])) === 0) return false;
        await tx.run(`${CANCEL} endpoint_id = ?`, [now, id]);
        await tx.run("DELETE FROM endpoint_versions WHERE endpoint_id = ?", [id]);
        await tx.run("DELETE FROM alert_sends WHERE endpoint_id = ?", [id]);
        await tx.run("DELETE FROM endpoint_health WHERE endpoint_id = ?", [id]);
        await tx.run("UPDATE replays SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE endpoint_id = ? AND state = 'running'", [now, now, id]);
        return true;
      });
    },

    async createEventType(t) {
      const n = await db.run(
        "INSERT INTO event_types (name, description, schema, example, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        [t.name, t.description, json(t.schema), json(t.example), t.createdAt, t.updatedAt],
      );
      return n === 1 ? t : null;
    },
    async getEventType(name) {
      const r = await db.get("SELECT * FROM event_types WHERE name = ?", [name]);
      return r ? rowToEventType(r) : null;
    },
    async listEventTypes(p) {
      const rows = await db.all("SELECT * FROM event_types WHERE name > ? ORDER BY name LIMIT ?", [decodeCursor(p.cursor) ?? "", p.limit + 1]);
      return page<EventType>(rows, p.limit, rowToEventType, (r) => r.name as string);
    },
    async updateEventType(name, c, now) {
      return db.tx(async (tx) => {
        const r = await tx.get("SELECT * FROM event_types WHERE name = ? FOR UPDATE", [name]);
        if (!r) return null;
        const t = rowToEventType(r);
        if (c.description !== undefined) t.description = c.description;
        if (c.schema !== undefined) t.schema = c.schema;
        if (c.example !== undefined) t.example = c.example;
        t.updatedAt = now;
        await tx.run("UPDATE event_types SET description = ?, schema = ?, example = ?, updated_at = ? WHERE name = ?", [
          t.description,
          json(t.schema),
          json(t.example),
          now,
          name,
        ]);
        return t;
      });
    },
    async deleteEventType(name) {
      return (await db.run("DELETE FROM event_types WHERE name = ?", [name])) === 1;
    },

    async createApiKey(k) {
      await db.run(
        "INSERT INTO api_keys (id, kind, tenant_id, name, scopes, hash, prefix, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [k.id, k.kind, k.tenantId, k.name, JSON.stringify(k.scopes), k.hash, k.prefix, k.expiresAt, k.createdAt],
      );
      const { hash: _hash, ...key } = k;
      return { ...key, scopes: [...k.scopes], revokedAt: null, lastUsedAt: null };
    },
    async findApiKeyByHash(hash) {
      const r = await db.get(`SELECT ${KEY_COLUMNS}, hash FROM api_keys WHERE hash = ?`, [hash]);
      return r ? { key: rowToApiKey(r), hash: String(r.hash) } : null;
    },
    async listApiKeys(f, p) {
      const where = ["id > ?"];
      const params: Param[] = [decodeCursor(p.cursor) ?? ""];
      if (f.tenantId !== undefined) {
        where.push("tenant_id = ?");
        params.push(f.tenantId);
      }
      if (f.kind !== undefined) {
        where.push("kind = ?");
        params.push(f.kind);
      }
      const rows = await db.all(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?`, [...params, p.limit + 1]);
      return page<ApiKey>(rows, p.limit, rowToApiKey, (r) => r.id as string);
    },
    async revokeApiKey(id, tenantId, now) {
      const scope = tenantId === null ? "" : " AND tenant_id = ?";
      const params: Param[] = tenantId === null ? [id] : [id, tenantId];
      await db.run(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL${scope}`, [now, ...params]);
      const r = await db.get(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?${scope}`, params);
      return r ? rowToApiKey(r) : null;
    },
    async touchApiKey(id, now) {
      await db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now, id]);
    },

    async getEvent(tenantId, id) {
      const r = await db.get("SELECT * FROM events WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToEvent(r) : null;
    },
    async listEvents(tenantId, p, filter) {
      const before = decodeCursor(p.cursor) ?? "\uffff";
      const rows = filter.type
        ? await db.all("SELECT * FROM events WHERE tenant_id = ? AND id < ? AND type = ? ORDER BY id DESC LIMIT ?", [tenantId, before, filter.type, p.limit + 1])
        : await db.all("SELECT * FROM events WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?", [tenantId, before, p.limit + 1]);
      return page<EventRecord>(rows, p.limit, rowToEvent, (r) => r.id as string);
    },

    async listDeliveries(tenantId, f, p) {
      const q = listDeliveriesQuery(tenantId, f, p);
      const rows = await db.all(q.sql, q.params);
      return page<Delivery>(rows, p.limit, rowToDelivery, (r) => r.id as string);
    },
    async getDelivery(tenantId, id) {
      const r = await db.get("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToDelivery(r) : null;
    },
    async listAlerts(tenantId, filter, p) {
      const after = decodeCursor(p.cursor) ?? "";
      const rows = filter.status
        ? await db.all("SELECT * FROM alerts WHERE tenant_id = ? AND status = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?", [tenantId, filter.status, after, p.limit + 1])
        : await db.all("SELECT * FROM alerts WHERE tenant_id = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?", [tenantId, after, p.limit + 1]);
      return page(rows, p.limit, rowToAlert, (r) => r.fingerprint as string);
    },
    async getAlert(tenantId, fingerprint) {
      const r = await db.get("SELECT * FROM alerts WHERE tenant_id = ? AND fingerprint = ?", [tenantId, fingerprint]);
      return r ? rowToAlert(r) : null;
    },
    async getBatch(tenantId, id) {
      const b = await db.get("SELECT * FROM batches WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      if (!b) return null;
      const members = (await db.all("SELECT * FROM deliveries WHERE batch_id = ? ORDER BY id", [id])).map(rowToDelivery);
      const attempts = (await db.all("SELECT * FROM attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY attempt_no", [tenantId, id])).map(rowToAttempt);
      return { batch: rowToBatch(b), members, attempts };
    },
    async listAttempts(tenantId, deliveryId) {
      // A batch member's attempts are its batch's (recorded once, under the batch id).
      return (
        await db.all(
          `SELECT * FROM attempts WHERE tenant_id = ? AND delivery_id IN (?, (SELECT batch_id FROM deliveries WHERE tenant_id = ? AND id = ?))
           ORDER BY attempt_no, started_at`,
          [tenantId, deliveryId, tenantId, deliveryId],
        )
      ).map(rowToAttempt);
    },
    async purge(before, now, limit) {
      // Ids are ULIDs, so "created before" is a primary-key range: no extra index to maintain.
      return db.tx(async (tx) => {
        let n = 0;
        const dl = (
          await tx.all("SELECT id FROM deliveries WHERE id < ? AND status IN ('succeeded', 'failed', 'cancelled') ORDER BY id LIMIT ?", [
            idFloor("dlv", before),
            limit,
          ])
        ).map((r) => r.id as string);
        // Events go when their last delivery has gone: first those of the deliveries just purged,
        // then (a bounded look at the oldest) events that never had a delivery.
        const candidates = dl.length
          ? (await tx.all(`SELECT DISTINCT event_id FROM deliveries WHERE id IN (${placeholders(dl.length)})`, dl)).map((r) => r.event_id as string)
          : [];
        const orphans = (
          await tx.all(
            "SELECT id FROM (SELECT id FROM events WHERE id < ? ORDER BY id LIMIT ?) e WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)",
            [idFloor("evt", before), limit],
          )
        ).map((r) => r.id as string);
        if (dl.length) {
          n += await tx.run(`DELETE FROM attempts WHERE delivery_id IN (${placeholders(dl.length)})`, dl);
          n += await tx.run(`DELETE FROM deliveries WHERE id IN (${placeholders(dl.length)})`, dl);
        }
        const ev = [...new Set([...candidates, ...orphans])];
        if (ev.length) {
          n += await tx.run(
            `DELETE FROM events WHERE id IN (${placeholders(ev.length)}) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)`,
            ev,
          );
        }
        // Batches whose members have all gone, with their attempts.
        const bat = (
          await tx.all("SELECT id FROM batches b WHERE id < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = b.id) ORDER BY id LIMIT ?", [
            idFloor("bat", before),
            limit,
          ])
        ).map((r) => r.id as string);
        if (bat.length) {
          n += await tx.run(`DELETE FROM attempts WHERE delivery_id IN (${placeholders(bat.length)})`, bat);
          n += await tx.run(`DELETE FROM batches WHERE id IN (${placeholders(bat.length)})`, bat);
        }
        // Replay jobs that finished before the cut-off (running ones are kept).
        const rpl = (await tx.all("SELECT id FROM replays WHERE id < ? AND state <> 'running' ORDER BY id LIMIT ?", [idFloor("rpl", before), limit])).map((r) => r.id as string);
        if (rpl.length) n += await tx.run(`DELETE FROM replays WHERE id IN (${placeholders(rpl.length)})`, rpl);
        // Alerts resolved before the cut-off; an alert that comes back later starts afresh.
        const resolved = await tx.all("SELECT tenant_id, fingerprint FROM alerts WHERE status = 'resolved' AND last_event_at < ? LIMIT ?", [before, limit]);
        for (const a of resolved) {
          n += await tx.run("DELETE FROM alert_sends WHERE tenant_id = ? AND fingerprint = ?", [a.tenant_id as string, a.fingerprint as string]);
          n += await tx.run("DELETE FROM alerts WHERE tenant_id = ? AND fingerprint = ?", [a.tenant_id as string, a.fingerprint as string]);
        }
        n += await tx.run("DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE kind = 'portal' AND expires_at < ? LIMIT ?)", [before, limit]);
        n += await tx.run(
          "DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (SELECT tenant_id, key FROM idempotency_keys WHERE expires_at < ? LIMIT ?)",
          [now, limit],
        );
        return n;
      });
    },
    async retryDelivery(tenantId, id, now) {
      return db.tx(async (tx) => {
        const before = await tx.get("SELECT batch_id FROM deliveries WHERE tenant_id = ? AND id = ? FOR UPDATE", [tenantId, id]);
        if (!before) return "not_found";
        // A batch's members change state together: retrying one retries the batch.
        const n =
          before.batch_id === null || before.batch_id === undefined
            ? await tx.run("UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'failed'", [now, now, tenantId, id])
            : await tx.run("UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE tenant_id = ? AND batch_id = ? AND status = 'failed'", [
                now,
                now,
                tenantId,
                before.batch_id as string,
              ]);
        if (n === 0) return "not_failed";
        return rowToDelivery((await tx.get("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?", [tenantId, id]))!);
      });
    },
  };
}
