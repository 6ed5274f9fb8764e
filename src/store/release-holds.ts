// The release job: lifts holds on alerts' sends (alert_sends.held) that no longer apply, and sends
// the receiver the alert's current state where its view differs (see docs/alerts.md, "Silences").
import { parseSettings } from "../core/endpoint-settings.ts";
import { matchesEventType } from "../core/event-types.ts";
import { newId } from "../core/ids.ts";
import type { DeliveryReason } from "../core/types.ts";
import { eventSubject } from "./fanout.ts";
import { type ActiveSilence, LIVE_SILENCES, activeSilences, silenceFor } from "./silence-match.ts";
import type { Param, Row, SqlDb } from "./sql.ts";

/** What the release job did in one run. */
export interface ReleaseResult {
  /** Holds that no longer apply and were lifted. */
  released: number;
  /** Of those, how many queued the alert's last event for the endpoint. */
  queued: number;
}

/** A hold as alert_sends.held stores it. */
export interface Hold extends DeliveryReason {
  /** The hold ends at this time (epoch ms). */
  until?: number;
  /** Queue the alert's last event at release even when the receiver's view matches the alert. */
  always?: boolean;
}

/** The held rows after a position (endpoint id, fingerprint), in the order of alert_sends_held. */
export const HELD = `SELECT endpoint_id, fingerprint, tenant_id, held FROM alert_sends
  WHERE held IS NOT NULL AND (endpoint_id > ? OR (endpoint_id = ? AND fingerprint > ?))`;
const ALERT = "SELECT status, last_event_id FROM alerts WHERE tenant_id = ? AND fingerprint = ?";
const EVENT = "SELECT id, type, severity, fingerprint, state, payload FROM events WHERE tenant_id = ? AND id = ?";
const LIFT = "UPDATE alert_sends SET held = NULL WHERE endpoint_id = ? AND fingerprint = ? AND held = ?";
const SWAP = "UPDATE alert_sends SET held = ? WHERE endpoint_id = ? AND fingerprint = ? AND held = ?";
const SENT = "UPDATE alert_sends SET last_sent_state = ?, last_sent_at = ? WHERE endpoint_id = ? AND fingerprint = ?";
const INSERT_PENDING = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at, reason)
  VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, NULL)`;

/**
 * One run over the held rows (of one tenant, or all), `batch` at a time. A hold by a silence ends
 * when no silence active now covers the endpoint and matches the alert's last event (the silence
 * expired, is between windows, or was replaced); a hold with `until` ends then. Each lift is one
 * transaction whose update is conditional on the hold read, so of several processes one lifts it
 * and queues.
 */
export async function releaseHolds(db: SqlDb, now: number, opts: { tenantId?: string; batch?: number }): Promise<ReleaseResult> {
  const batch = opts.batch ?? 500;
  const silences = new Map<string, ActiveSilence[]>();
  const result: ReleaseResult = { released: 0, queued: 0 };
  let after: [string, string] = ["", ""];
  for (let round = 0; round < 10_000; round++) {
    const params: Param[] = [after[0], after[0], after[1]];
    let sql = HELD;
    if (opts.tenantId !== undefined) {
      sql += " AND tenant_id = ?";
      params.push(opts.tenantId);
    }
    const rows = await db.all(`${sql} ORDER BY endpoint_id, fingerprint LIMIT ?`, [...params, batch]);
    for (const r of rows) {
      after = [String(r.endpoint_id), String(r.fingerprint)];
      const r2 = await releaseOne(db, r, now, silences);
      if (r2 !== "kept") result.released++;
      if (r2 === "queued") result.queued++;
    }
    if (rows.length < batch) break;
  }
  return result;
}

async function liveSilences(db: SqlDb, tenantId: string, now: number, cache: Map<string, ActiveSilence[]>): Promise<ActiveSilence[]> {
  let list = cache.get(tenantId);
  if (list === undefined) {
    list = activeSilences(await db.all(LIVE_SILENCES, [tenantId, now]), now);
    cache.set(tenantId, list);
  }
  return list;
}

async function releaseOne(db: SqlDb, r: Row, now: number, cache: Map<string, ActiveSilence[]>): Promise<"kept" | "released" | "queued"> {
  const endpointId = String(r.endpoint_id);
  const fingerprint = String(r.fingerprint);
  const tenantId = String(r.tenant_id);
  const heldText = String(r.held);
  const hold = JSON.parse(heldText) as Hold;
  const alert = await db.get(ALERT, [tenantId, fingerprint]);
  const event = alert ? await db.get(EVENT, [tenantId, String(alert.last_event_id)]) : undefined;
  if (typeof hold.until === "number") {
    if (hold.until > now) return "kept";
  } else if (hold.silenceId !== undefined) {
    if (event) {
      const ev = { type: String(event.type), severity: (event.severity as string | null) ?? null, fingerprint, payload: String(event.payload ?? "") };
      let subject: ReturnType<typeof eventSubject> | null = null;
      const still = silenceFor(
        await liveSilences(db, tenantId, now, cache),
        endpointId,
        () => (subject ??= eventSubject(ev, (event.state as string | null) ?? null)),
      );
      if (still !== null) {
        // Still silenced, perhaps by another silence now: the hold says which.
        if (still.id !== hold.silenceId) await db.run(SWAP, [JSON.stringify(still.reason), endpointId, fingerprint, heldText]);
        return "kept";
      }
    }
  } else {
    // A hold that neither a time nor a silence ends is lifted by whatever placed it.
    return "kept";
  }
  return db.tx(async (tx) => {
    if ((await tx.run(LIFT, [endpointId, fingerprint, heldText])) !== 1) return "kept";
    // Read again inside the transaction: an ingest may have moved the alert on meanwhile.
    const a = await tx.get(ALERT, [tenantId, fingerprint]);
    const e = a ? await tx.get(EVENT, [tenantId, String(a.last_event_id)]) : undefined;
    if (!a || !e) return "released";
    const sent = await tx.get("SELECT last_sent_state FROM alert_sends WHERE endpoint_id = ? AND fingerprint = ?", [endpointId, fingerprint]);
    const lastSent = (sent?.last_sent_state as string | null | undefined) ?? null;
    const open = a.status === "open";
    const differs = open ? lastSent === null || lastSent === "end" : lastSent === "start" || lastSent === "ongoing";
    if (!differs && hold.always !== true) return "released";
    // The endpoint as it is now decides, as at fan-out: gone, no longer subscribed, or not sending ends.
    const ep = await tx.get("SELECT event_types, settings FROM endpoints WHERE tenant_id = ? AND id = ?", [tenantId, endpointId]);
    if (!ep || !matchesEventType(JSON.parse(String(ep.event_types)) as string[], String(e.type))) return "released";
    if (!open && !parseSettings((ep.settings as string | null) ?? null).lifecycle.sendResolved) return "released";
    await tx.run(INSERT_PENDING, [newId("dlv", now), tenantId, String(e.id), endpointId, String(e.type), now, now, now]);
    await tx.run(SENT, [(e.state as string | null) ?? (open ? "start" : "end"), now, endpointId, fingerprint]);
    return "queued";
  });
}
