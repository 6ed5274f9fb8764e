import { claimSteps } from "../claim.ts";
import { completeSteps } from "../complete.ts";
import { RELEASE_EXPIRED, RELEASE_OWNED } from "../crud.ts";
import { SQLITE } from "../dialect.ts";
import { ingestSteps } from "../ingest.ts";
import { DEFAULT_COMPLETE, type Store } from "../store.ts";
import type { SqliteDb } from "./sqlite-db.ts";
import { runStepsSync } from "./sqlite-steps.ts";

type QueueMethods = Pick<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned" | "heartbeat" | "releaseDeadOwners">;

/**
 * The hot path on SQLite: ingest, claim and complete (written once, in store/ingest.ts, claim.ts
 * and complete.ts) each run as one synchronous block of a group-committed write transaction.
 */
export function createSqliteQueue(db: SqliteDb): QueueMethods {
  return {
    async ingest(tenantId, events, now, windowMs) {
      return db.writeTx(() => runStepsSync(db, ingestSteps(SQLITE, tenantId, events, now, windowMs)));
    },

    async claimDue(opts) {
      return db.writeTx(() => runStepsSync(db, claimSteps(SQLITE, opts)));
    },

    async complete(owner, outcomes, now, opts = DEFAULT_COMPLETE) {
      if (outcomes.length === 0) return;
      await db.writeTx(() => runStepsSync(db, completeSteps(SQLITE, owner, outcomes, now, opts)));
    },

    async releaseExpiredLeases(now) {
      return db.run(RELEASE_EXPIRED, [now]);
    },

    async releaseOwned(owner, now) {
      return db.run(RELEASE_OWNED, [now, owner]);
    },

    // One process: every lease is released when it starts, so there is no other owner to watch.
    async heartbeat() {},
    async releaseDeadOwners() {
      return 0;
    },
  };
}
