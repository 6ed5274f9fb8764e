import { passesSeverity } from "../core/endpoint-settings.ts";
import { matchesEventType } from "../core/event-types.ts";
import { idFloor, newId } from "../core/ids.ts";
import type { Replay, ReplayScope } from "../core/types.ts";
import type { Row, SqlDb } from "./sql.ts";
import { type Page, type PageResult, decodeCursor, encodeCursor } from "./page.ts";

// Replay jobs, written once for both backends. A job walks its range in steps of one transaction
// each; the step records where it stopped, so a job resumes after a crash without sending twice
// what it already queued.

export interface NewReplay {
  tenantId: string;
  endpointId: string;
  since: number;
  until: number;
  /** False when the request named no end (until is then its time): such requests are the same job. */
  untilGiven: boolean;
  scope: ReplayScope;
}

export interface ReplayMethods {
  /**
   * Starts a replay, or returns the one asked with the same range and scope within `sameWithinMs`
   * (`created: false`). Null when the endpoint does not exist.
   */
  createReplay(r: NewReplay, now: number, sameWithinMs: number): Promise<{ replay: Replay; created: boolean } | null>;
  getReplay(tenantId: string, id: string): Promise<Replay | null>;
  listReplays(tenantId: string, endpointId: string, page: Page): Promise<PageResult<Replay>>;
  /** A running replay's id (oldest first), or null. */
  nextRunningReplay(afterId: string): Promise<string | null>;
  /** Handles up to `limit` more items of a running replay in one transaction; returns it as it stands after. */
  stepReplay(id: string, now: number, limit: number): Promise<Replay | null>;
}

const rowToReplay = (r: Row): Replay => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  endpointId: String(r.endpoint_id),
  since: Number(r.since),
  until: Number(r.until),
  scope: r.scope as ReplayScope,
  state: r.state as Replay["state"],
  total: Number(r.total),
  processed: Number(r.processed),
  queued: Number(r.queued),
  skipped: Number(r.skipped),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
});

// What each scope walks: failed deliveries of the endpoint, or every event of the tenant, in the range.
const COUNT_FAILED = "SELECT count(*) AS n FROM deliveries WHERE endpoint_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ?";
const COUNT_EVENTS = "SELECT count(*) AS n FROM events WHERE tenant_id = ? AND id >= ? AND id < ? AND created_at >= ? AND created_at < ?";
const NEXT_FAILED = `SELECT id, batch_id FROM deliveries WHERE endpoint_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ? AND id > ?
  ORDER BY id LIMIT ?`;
const NEXT_EVENTS = `SELECT id, type, severity FROM events WHERE tenant_id = ? AND id >= ? AND id < ? AND created_at >= ? AND created_at < ? AND id > ?
  ORDER BY id LIMIT ?`;
const REQUEUE = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'failed'";
const REQUEUE_BATCH = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE batch_id = ? AND status = 'failed'";

export function createReplayMethods(db: SqlDb): ReplayMethods {
  return {
    async createReplay(r, now, sameWithinMs) {
      return db.tx(async (tx) => {
        // The endpoint's lock serialises identical requests, so they find one job.
        const ep = await tx.get("SELECT id FROM endpoints WHERE tenant_id = ? AND id = ? FOR UPDATE", [r.tenantId, r.endpointId]);
        if (!ep) return null;
        const same = await tx.get(
          `SELECT * FROM replays WHERE endpoint_id = ? AND since = ? AND scope = ? AND created_at >= ? AND until_given = ? AND (until_given = 0 OR until = ?)
           ORDER BY created_at DESC LIMIT 1`,
          [r.endpointId, r.since, r.scope, now - sameWithinMs, r.untilGiven ? 1 : 0, r.until],
        );
        if (same) return { replay: rowToReplay(same), created: false };
        const total =
          r.scope === "failed"
            ? Number((await tx.get(COUNT_FAILED, [r.endpointId, r.since, r.until]))!.n)
            : Number((await tx.get(COUNT_EVENTS, [r.tenantId, idFloor("evt", r.since), idFloor("evt", r.until + 1), r.since, r.until]))!.n);
        const id = newId("rpl", now);
        await tx.run(
          `INSERT INTO replays (id, tenant_id, endpoint_id, since, until, until_given, scope, state, total, processed, queued, skipped, position, created_at, updated_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, '', ?, ?, ?)`,
          [
            id,
            r.tenantId,
            r.endpointId,
            r.since,
            r.until,
            r.untilGiven ? 1 : 0,
            r.scope,
            total === 0 ? "completed" : "running",
            total,
            now,
            now,
            total === 0 ? now : null,
          ],
        );
        return { replay: rowToReplay((await tx.get("SELECT * FROM replays WHERE id = ?", [id]))!), created: true };
      });
    },

    async getReplay(tenantId, id) {
      const r = await db.get("SELECT * FROM replays WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToReplay(r) : null;
    },

    async listReplays(tenantId, endpointId, p) {
      const cursor = decodeCursor(p.cursor);
      const rows = await db.all(
        `SELECT * FROM replays WHERE tenant_id = ? AND endpoint_id = ? ${cursor ? "AND id < ?" : ""} ORDER BY id DESC LIMIT ?`,
        cursor ? [tenantId, endpointId, cursor, p.limit + 1] : [tenantId, endpointId, p.limit + 1],
      );
      const more = rows.length > p.limit;
      const data = (more ? rows.slice(0, p.limit) : rows).map(rowToReplay);
      const last = data.at(-1);
      return { data, nextCursor: more && last ? encodeCursor(last.id) : null };
    },

    async nextRunningReplay(afterId) {
      const r = await db.get("SELECT id FROM replays WHERE state = 'running' AND id > ? ORDER BY id LIMIT 1", [afterId]);
      return r ? String(r.id) : null;
    },

    async stepReplay(id, now, limit) {
      return db.tx(async (tx) => {
        const row = await tx.get("SELECT * FROM replays WHERE id = ? FOR UPDATE", [id]);
        if (!row) return null;
        const job = rowToReplay(row);
        if (job.state !== "running") return job;
        const position = String(row.position ?? "");
        const ep = await tx.get("SELECT id, tenant_id, event_types, min_severity FROM endpoints WHERE id = ?", [job.endpointId]);
        if (!ep) {
          await tx.run("UPDATE replays SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?", [now, now, id]);
          return { ...job, state: "cancelled", finishedAt: now, updatedAt: now };
        }
        let queued = 0;
        let skipped = 0;
        let last = position;
        let seen = 0;
        if (job.scope === "failed") {
          const rows = await tx.all(NEXT_FAILED, [job.endpointId, job.since, job.until, position, limit]);
          for (const d of rows) {
            last = String(d.id);
            seen++;
            // A batch's members change state together, as with a manual retry.
            const n =
              d.batch_id === null || d.batch_id === undefined
                ? await tx.run(REQUEUE, [now, now, d.id as string])
                : await tx.run(REQUEUE_BATCH, [now, now, d.batch_id as string]);
            if (n > 0) queued++;
            else skipped++;
          }
        } else {
          const types = JSON.parse(String(ep.event_types)) as string[];
          const minSeverity = (ep.min_severity as string | null) ?? null;
          const rows = await tx.all(NEXT_EVENTS, [
            job.tenantId,
            idFloor("evt", job.since),
            idFloor("evt", job.until + 1),
            job.since,
            job.until,
            position,
            limit,
          ]);
          for (const ev of rows) {
            last = String(ev.id);
            seen++;
            const type = String(ev.type);
            if (!matchesEventType(types, type) || !passesSeverity(minSeverity, (ev.severity as string | null) ?? null)) {
              skipped++;
              continue;
            }
            const existing = await tx.all("SELECT id, status, batch_id FROM deliveries WHERE event_id = ? AND endpoint_id = ?", [
              ev.id as string,
              job.endpointId,
            ]);
            // Already on its way: sending it again now would only duplicate it.
            if (existing.some((d) => d.status === "pending" || d.status === "delivering")) {
              skipped++;
              continue;
            }
            const failed = existing.find((d) => d.status === "failed");
            if (failed) {
              if (failed.batch_id === null || failed.batch_id === undefined) await tx.run(REQUEUE, [now, now, failed.id as string]);
              else await tx.run(REQUEUE_BATCH, [now, now, failed.batch_id as string]);
            } else {
              await tx.run(
                `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
                [newId("dlv", now), job.tenantId, ev.id as string, job.endpointId, type, now, now, now],
              );
            }
            queued++;
          }
        }
        const done = seen < limit;
        const processed = job.processed + seen;
        // The range changes while a job runs (deliveries fail, retention purges): the count made at
        // the start is an estimate, corrected as the walk goes and exact at the end.
        const total = done ? processed : Math.max(job.total, processed);
        await tx.run(
          `UPDATE replays SET processed = ?, queued = queued + ?, skipped = skipped + ?, position = ?, total = ?, updated_at = ?, state = ?, finished_at = ?
           WHERE id = ?`,
          [processed, queued, skipped, last, total, now, done ? "completed" : "running", done ? now : null, id],
        );
        return rowToReplay((await tx.get("SELECT * FROM replays WHERE id = ?", [id]))!);
      });
    },
  };
}
