// Silences: created, read, listed and expired early (store side; rules in core/silences.ts).
import { type Silence, type SilenceState, silenceState } from "../core/silences.ts";
import { type ReleaseResult, releaseHolds } from "./release-holds.ts";

export type { ReleaseResult } from "./release-holds.ts";
import { rowToSilence } from "./silence-match.ts";
import type { Param, SqlDb } from "./sql.ts";
import { type Page, type PageResult, decodeCursor, encodeCursor } from "./page.ts";

export interface SilenceFilter {
  state?: SilenceState;
  /** Silences that apply to this endpoint: those that name it and those of the whole tenant. */
  endpointId?: string;
  recurring?: boolean;
}

export interface SilenceMethods {
  createSilence(s: Silence): Promise<Silence>;
  getSilence(tenantId: string, id: string): Promise<Silence | null>;
  /** A tenant's silences, newest first; `now` decides their state. */
  listSilences(tenantId: string, filter: SilenceFilter, page: Page, now: number): Promise<PageResult<Silence>>;
  /** Ends a silence now (expiredEarly); "expired" when it had already ended, null when there is none. */
  expireSilence(tenantId: string, id: string, now: number): Promise<Silence | "expired" | null>;
  /**
   * The release job: lifts the holds on alerts' sends (alert_sends.held) that no longer apply, of
   * one tenant or of all, and queues the alert's last event where the receiver's view differs
   * from the alert (docs/alerts.md, "Silences"). Safe to run in several processes at once: a
   * hold is lifted by one conditional update, and only its winner queues.
   */
  releaseHolds(now: number, opts?: { tenantId?: string; batch?: number }): Promise<ReleaseResult>;
}

/** Rows read per round when a state filter is applied in memory. */
const ROUNDS = 20;

export function createSilenceMethods(db: SqlDb): SilenceMethods {
  return {
    async createSilence(s) {
      await db.run(
        `INSERT INTO silences (id, tenant_id, matchers, endpoint_ids, starts_at, ends_at, schedule, comment, created_by, created_at, expired_early, suppressed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
        [
          s.id,
          s.tenantId,
          JSON.stringify(s.matchers),
          s.endpointIds === null ? null : JSON.stringify(s.endpointIds),
          s.startsAt,
          s.endsAt,
          s.schedule === null ? null : JSON.stringify(s.schedule),
          s.comment,
          JSON.stringify(s.createdBy),
          s.createdAt,
        ],
      );
      return { ...s, expiredEarly: false, suppressed: 0 };
    },

    async getSilence(tenantId, id) {
      const r = await db.get("SELECT * FROM silences WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToSilence(r) : null;
    },

    async listSilences(tenantId, f, p, now) {
      const where = ["tenant_id = ?", "id < ?"];
      const base: Param[] = [tenantId];
      // What SQL can tell; a recurring silence's active or pending depends on its windows (below).
      if (f.state === "expired") {
        where.push("ends_at IS NOT NULL AND ends_at <= ?");
        base.push(now);
      } else if (f.state !== undefined) {
        where.push("(ends_at IS NULL OR ends_at > ?)");
        base.push(now);
      }
      if (f.recurring !== undefined) where.push(f.recurring ? "schedule IS NOT NULL" : "schedule IS NULL");
      const sql = `SELECT * FROM silences WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`;
      const wanted = (s: Silence) =>
        (f.state === undefined || silenceState(s, now) === f.state) &&
        (f.endpointId === undefined || s.endpointIds === null || s.endpointIds.includes(f.endpointId));
      const data: Silence[] = [];
      let cursor = decodeCursor(p.cursor) ?? "\uffff";
      for (let round = 0; round < ROUNDS; round++) {
        const rows = await db.all(sql, [tenantId, cursor, ...base.slice(1), p.limit + 1]);
        for (const r of rows) {
          const s = rowToSilence(r);
          cursor = s.id;
          if (!wanted(s)) continue;
          if (data.length === p.limit) return { data, nextCursor: encodeCursor(data[data.length - 1]!.id) };
          data.push(s);
        }
        if (rows.length <= p.limit) return { data, nextCursor: null };
      }
      // Many rows filtered out: the page ends where the reading stopped.
      return { data, nextCursor: encodeCursor(cursor) };
    },

    async expireSilence(tenantId, id, now) {
      const changed = await db.run("UPDATE silences SET ends_at = ?, expired_early = 1 WHERE tenant_id = ? AND id = ? AND (ends_at IS NULL OR ends_at > ?)", [
        now,
        tenantId,
        id,
        now,
      ]);
      const r = await db.get("SELECT * FROM silences WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      if (!r) return null;
      return changed === 1 ? rowToSilence(r) : "expired";
    },

    async releaseHolds(now, opts = {}) {
      return releaseHolds(db, now, opts);
    },
  };
}
