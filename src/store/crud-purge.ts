// The retention purge: deletes old finished deliveries, their events and attempts, and expired keys, a bounded step at a time.
import { idFloor } from "../core/ids.ts";
import { placeholders } from "./crud-sql.ts";
import type { SqlDb } from "./sql.ts";
import type { Store } from "./store.ts";

export type PurgeMethods = Pick<Store, "purge">;

export function createPurgeMethods(db: SqlDb): PurgeMethods {
  return {
    async purge(before, now, limit) {
      // Ids are ULIDs, so "created before" is a primary-key range: no extra index to maintain.
      return db.tx(async (tx) => {
        let n = 0;
        const dl = (
          await tx.all("SELECT id FROM deliveries WHERE id < ? AND status IN ('succeeded', 'failed', 'cancelled', 'suppressed') ORDER BY id LIMIT ?", [
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
        // Batches (bat_) and digests (dig_) whose members have all gone, with their attempts.
        const bat = (
          await tx.all(
            `SELECT id FROM batches b WHERE (id < ? OR (id >= 'dig_' AND id < ?)) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = b.id)
             ORDER BY id LIMIT ?`,
            [idFloor("bat", before), idFloor("dig", before), limit],
          )
        ).map((r) => r.id as string);
        if (bat.length) {
          n += await tx.run(`DELETE FROM attempts WHERE delivery_id IN (${placeholders(bat.length)})`, bat);
          n += await tx.run(`DELETE FROM batches WHERE id IN (${placeholders(bat.length)})`, bat);
        }
        // Replay jobs that finished before the cut-off (running ones are kept).
        const rpl = (await tx.all("SELECT id FROM replays WHERE id < ? AND state <> 'running' ORDER BY id LIMIT ?", [idFloor("rpl", before), limit])).map(
          (r) => r.id as string,
        );
        if (rpl.length) n += await tx.run(`DELETE FROM replays WHERE id IN (${placeholders(rpl.length)})`, rpl);
        // Alerts resolved before the cut-off; an alert that comes back later starts afresh.
        const resolved = await tx.all("SELECT tenant_id, fingerprint FROM alerts WHERE status = 'resolved' AND last_event_at < ? LIMIT ?", [before, limit]);
        for (const a of resolved) {
          n += await tx.run("DELETE FROM alert_sends WHERE tenant_id = ? AND fingerprint = ?", [a.tenant_id as string, a.fingerprint as string]);
          n += await tx.run("DELETE FROM alerts WHERE tenant_id = ? AND fingerprint = ?", [a.tenant_id as string, a.fingerprint as string]);
        }
        // Digest windows that ended before the cut-off: the next event of their key opens a new one anyway.
        n += await tx.run(
          "DELETE FROM digest_windows WHERE (endpoint_id, group_key) IN (SELECT endpoint_id, group_key FROM digest_windows WHERE window_end < ? LIMIT ?)",
          [before, limit],
        );
        n += await tx.run("DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE kind = 'portal' AND expires_at < ? LIMIT ?)", [before, limit]);
        n += await tx.run("DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (SELECT tenant_id, key FROM idempotency_keys WHERE expires_at < ? LIMIT ?)", [
          now,
          limit,
        ]);
        return n;
      });
    },
  };
}
