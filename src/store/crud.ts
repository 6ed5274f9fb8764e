import { createApiKeyMethods } from "./crud-api-keys.ts";
import { createDeliveryMethods } from "./crud-deliveries.ts";
import { createEndpointMethods } from "./crud-endpoints.ts";
import { createEventTypeMethods } from "./crud-event-types.ts";
import { createPurgeMethods } from "./crud-purge.ts";
import { createTenantMethods } from "./crud-tenants.ts";
import { createReplayMethods } from "./replays.ts";
import { createSilenceMethods } from "./silences.ts";
import type { SqlDb } from "./sql.ts";
import type { Store } from "./store.ts";

export { listDeliveriesQuery } from "./crud-deliveries.ts";

/** The Store methods that are plain reads and writes, written once in SQL both backends accept. */
export type CrudMethods = Omit<
  Store,
  | "ingest"
  | "claimDue"
  | "complete"
  | "releaseExpiredLeases"
  | "releaseOwned"
  | "heartbeat"
  | "releaseDeadOwners"
  | "subscribeDue"
  | "ping"
  | "blockedWrites"
  | "close"
  | "operationalStats"
  | "deliveryStats"
>;

export const RELEASE_EXPIRED =
  "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL WHERE status = 'delivering' AND lease_until < ?";
export const RELEASE_OWNED =
  "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE status = 'delivering' AND lease_owner = ?";

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

    ...createTenantMethods(db),
    ...createEndpointMethods(db),
    ...createEventTypeMethods(db),
    ...createApiKeyMethods(db),
    ...createDeliveryMethods(db),
    ...createPurgeMethods(db),
    ...createSilenceMethods(db),
  };
}
