// Events, deliveries, their attempts and batches, and alerts: the reads behind the API, and retrying a delivery.
import { retryNowBlocked } from "../core/health.ts";
import type { Alert, Delivery, DeliveryReason, EventRecord } from "../core/types.ts";
import { rowToAlert, rowToBatch, rowToDigestInfo, rowToAttempt, rowToDelivery, rowToEvent } from "./rows.ts";
import { createdBetween, eventTypeMatching } from "./created-between.ts";
import { page, placeholders } from "./crud-sql.ts";
import { GATE_COLUMNS, GATE_FROM, rowToGate } from "./operations.ts";
import type { Param, SqlDb } from "./sql.ts";
import { type DeliveryFilter, type Page, type Store, decodeCursor } from "./store.ts";

/** The statement behind GET …/deliveries: a tenant's deliveries, newest first, with the list's filters. */
export function listDeliveriesQuery(tenantId: string, f: DeliveryFilter, p: Page): { sql: string; params: Param[] } {
  const range = createdBetween(f.since, f.until);
  // An event has one delivery per endpoint: find them by event_id. Written so that no index can
  // serve it, the tenant test cannot lead a planner without statistics (SQLite's default) to walk
  // the tenant's whole history in deliveries_tenant instead.
  const where = [f.eventId ? "tenant_id || '' = ?" : "tenant_id = ?", "id < ?", ...range.where];
  const params: Param[] = [tenantId, decodeCursor(p.cursor) ?? "\uffff", ...range.params];
  eventTypeMatching(f.eventType, where, params);
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

/** The holds on the alerts' sends (alert_sends.held), by endpoint in id order. */
async function addHolds(db: SqlDb, tenantId: string, alerts: Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
  const rows = await db.all(
    `SELECT fingerprint, endpoint_id, held FROM alert_sends WHERE tenant_id = ? AND fingerprint IN (${placeholders(alerts.length)}) AND held IS NOT NULL
      ORDER BY endpoint_id`,
    [tenantId, ...alerts.map((a) => a.fingerprint)],
  );
  for (const r of rows)
    byFp.get(String(r.fingerprint))?.holds.push({ endpointId: String(r.endpoint_id), reason: JSON.parse(String(r.held)) as DeliveryReason });
}

export type DeliveryMethods = Pick<
  Store,
  "getEvent" | "listEvents" | "listDeliveries" | "getDelivery" | "listAlerts" | "getAlert" | "getBatch" | "getDigest" | "listAttempts" | "retryDelivery"
>;

export function createDeliveryMethods(db: SqlDb): DeliveryMethods {
  return {
    async getEvent(tenantId, id) {
      const r = await db.get("SELECT * FROM events WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToEvent(r) : null;
    },
    async listEvents(tenantId, p, filter) {
      const before = decodeCursor(p.cursor) ?? "\uffff";
      const rows = filter.type
        ? await db.all("SELECT * FROM events WHERE tenant_id = ? AND id < ? AND type = ? ORDER BY id DESC LIMIT ?", [
            tenantId,
            before,
            filter.type,
            p.limit + 1,
          ])
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
        ? await db.all("SELECT * FROM alerts WHERE tenant_id = ? AND status = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?", [
            tenantId,
            filter.status,
            after,
            p.limit + 1,
          ])
        : await db.all("SELECT * FROM alerts WHERE tenant_id = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?", [tenantId, after, p.limit + 1]);
      const result = page(rows, p.limit, rowToAlert, (r) => r.fingerprint as string);
      await addHolds(db, tenantId, result.data);
      return result;
    },
    async getAlert(tenantId, fingerprint) {
      const r = await db.get("SELECT * FROM alerts WHERE tenant_id = ? AND fingerprint = ?", [tenantId, fingerprint]);
      if (!r) return null;
      const alert = rowToAlert(r);
      await addHolds(db, tenantId, [alert]);
      return alert;
    },
    async getBatch(tenantId, id) {
      const b = await db.get("SELECT * FROM batches WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      if (!b) return null;
      const members = (await db.all("SELECT * FROM deliveries WHERE batch_id = ? ORDER BY id", [id])).map(rowToDelivery);
      const attempts = (await db.all("SELECT * FROM attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY attempt_no", [tenantId, id])).map(rowToAttempt);
      return { batch: rowToBatch(b), members, attempts };
    },
    async getDigest(id) {
      const r = await db.get("SELECT group_by, group_key, folded, window_start, window_end FROM batches WHERE id = ?", [id]);
      return r ? rowToDigestInfo(r) : null;
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
    async retryDelivery(tenantId, id, now) {
      return db.tx(async (tx) => {
        const before = await tx.get("SELECT status, batch_id, endpoint_id FROM deliveries WHERE tenant_id = ? AND id = ? FOR UPDATE", [tenantId, id]);
        if (!before) return "not_found";
        const status = before.status as string;
        if (status !== "failed" && status !== "pending" && status !== "suppressed") return "not_retryable";
        if (status === "pending") {
          // Made due now, unless the endpoint would hold it anyway: then the caller says why.
          const g = await tx.get(`SELECT ${GATE_COLUMNS} FROM ${GATE_FROM} WHERE e.id = ?`, [before.endpoint_id as string]);
          const blocked = g ? retryNowBlocked(rowToGate(g), now) : null;
          if (blocked) return { blocked: blocked.reason, until: blocked.until };
        }
        // A batch's members change state together: retrying one retries the batch.
        const batchId = before.batch_id === null || before.batch_id === undefined ? null : (before.batch_id as string);
        const n = await tx.run(
          // A suppressed delivery is sent anyway: what held it no longer applies to it.
          `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?, reason = CASE WHEN status = 'suppressed' THEN NULL ELSE reason END
            WHERE tenant_id = ? AND ${batchId === null ? "id" : "batch_id"} = ? AND status = ?`,
          [now, now, tenantId, batchId ?? id, status],
        );
        if (n === 0) return "not_retryable";
        return rowToDelivery((await tx.get("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?", [tenantId, id]))!);
      });
    },
  };
}
