// Endpoints: their rows, secrets, settings versions and health, and deleting one with its traces.
import { parseSettings } from "../core/endpoint-settings.ts";
import { rowToEndpoint } from "./rows.ts";
import { CANCEL, page, placeholders } from "./crud-sql.ts";
import { GATE_COLUMNS, GATE_FROM, RESET_HEALTH, rowToGate, rowToHealth } from "./operations.ts";
import type { Param, Row, SqlDb } from "./sql.ts";
import { type EndpointSecrets, type Store, decodeCursor } from "./store.ts";

const CIPHERTEXT_COLUMNS = new Set<string>(["secret_enc", "previous_secret_enc", "credentials_enc"]);

const rowToSecrets = (r: Row): EndpointSecrets => ({
  secretEnc: r.secret_enc as string,
  previousSecretEnc: (r.previous_secret_enc as string | null) ?? null,
  credentialsEnc: (r.credentials_enc as string | null) ?? null,
});

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export type EndpointMethods = Pick<
  Store,
  | "createEndpoint"
  | "getEndpoint"
  | "getEndpointSecrets"
  | "getEndpointForDelivery"
  | "setValidationResult"
  | "listCiphertexts"
  | "replaceCiphertext"
  | "listPendingValidation"
  | "listEndpoints"
  | "countEndpoints"
  | "updateEndpoint"
  | "getEndpointHealth"
  | "getEndpointGates"
  | "getEndpointSettingsAt"
  | "deleteEndpoint"
>;

/** The endpoint's filter (or digest) as fan-out reads it beside the row (store/fanout.ts); null: none. */
const filterColumn = (f: unknown): string | null => (f === null || f === undefined ? null : JSON.stringify(f));

export function createEndpointMethods(db: SqlDb): EndpointMethods {
  return {
    async createEndpoint(e, now) {
      await db.run(
        `INSERT INTO endpoints (id, tenant_id, url, name, description, event_types, enabled, disabled_reason, secret_enc, version, created_at, updated_at,
           settings, credentials_enc, min_severity, validation_status, batch_max_events, batch_max_wait_ms, rate_per_sec, rate_burst, filter, digest,
           fallback_endpoint_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
          filterColumn(e.settings?.filter),
          filterColumn(e.settings?.digest),
          e.fallbackEndpointId ?? null,
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
      const rows = await db.all("SELECT id, secret_enc, previous_secret_enc, credentials_enc FROM endpoints WHERE id > ? ORDER BY id LIMIT ?", [
        afterId,
        limit,
      ]);
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
      const rows = await db.all("SELECT * FROM endpoints WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?", [
        tenantId,
        decodeCursor(p.cursor) ?? "",
        p.limit + 1,
      ]);
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
        set("filter", filterColumn(c.settings.filter));
        set("digest", filterColumn(c.settings.digest));
      }
      if (c.minSeverity !== undefined) set("min_severity", c.minSeverity);
      if (c.credentialsEnc !== undefined) set("credentials_enc", c.credentialsEnc);
      if (c.validationStatus !== undefined) set("validation_status", c.validationStatus);
      if (c.validationError !== undefined) set("validation_error", c.validationError);
      if (c.validatedAt !== undefined) set("validated_at", c.validatedAt);
      if (c.previousSecretEnc !== undefined) set("previous_secret_enc", c.previousSecretEnc);
      if (c.previousSecretExpiresAt !== undefined) set("previous_secret_expires_at", c.previousSecretExpiresAt);
      if (c.fallbackEndpointId !== undefined) set("fallback_endpoint_id", c.fallbackEndpointId);
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
        const wasEnabled =
          c.enabled === true ? await tx.get("SELECT enabled FROM endpoints WHERE tenant_id = ? AND id = ? FOR UPDATE", [tenantId, id]) : undefined;
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
    async getEndpointGates(tenantId, ids) {
      if (ids.length === 0) return new Map();
      const rows = await db.all(`SELECT ${GATE_COLUMNS} FROM ${GATE_FROM} WHERE e.tenant_id = ? AND e.id IN (${placeholders(ids.length)})`, [tenantId, ...ids]);
      return new Map(rows.map((r) => [r.id as string, rowToGate(r)]));
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
        await tx.run("DELETE FROM digest_windows WHERE endpoint_id = ?", [id]);
        await tx.run("DELETE FROM endpoint_health WHERE endpoint_id = ?", [id]);
        await tx.run("UPDATE replays SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE endpoint_id = ? AND state = 'running'", [now, now, id]);
        // Endpoints that fell back on this one have no fallback any more (their version stays: the
        // settings that build requests did not change).
        await tx.run("UPDATE endpoints SET fallback_endpoint_id = NULL, updated_at = ? WHERE tenant_id = ? AND fallback_endpoint_id = ?", [now, tenantId, id]);
        return true;
      });
    },
  };
}
