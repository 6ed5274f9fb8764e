import type pg from "pg";
import { claimSteps } from "../claim.ts";
import { completeSteps } from "../complete.ts";
import { RELEASE_EXPIRED, RELEASE_OWNED } from "../crud.ts";
import { BEAT, FORGET_DEAD_OWNERS, RELEASE_DEAD_OWNERS, beatParams, forgetParams, releaseParams } from "../heartbeats.ts";
import { POSTGRES } from "../dialect.ts";
import { ingestSteps } from "../ingest.ts";
import { DEFAULT_COMPLETE, type Store } from "../store.ts";
import { toPg, translate, withTransaction } from "./pg-db.ts";
import { runSteps } from "./pg-steps.ts";

type QueueMethods = Pick<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned" | "heartbeat" | "releaseDeadOwners">;

/**
 * The hot path on PostgreSQL: ingest, claim and complete (written once, in store/ingest.ts,
 * claim.ts and complete.ts) each run in one transaction, as named statements prepared once per
 * connection.
 */
export function createPostgresQueue(pool: pg.Pool): QueueMethods {
  const exec = async (sql: string, params: unknown[]) => {
    try {
      return await pool.query(sql, params);
    } catch (e) {
      return translate(e);
    }
  };

  return {
    async ingest(tenantId, events, now, windowMs) {
      return withTransaction(pool, (c) => runSteps(c, ingestSteps(POSTGRES, tenantId, events, now, windowMs)));
    },

    async claimDue(opts) {
      return withTransaction(pool, (c) => runSteps(c, claimSteps(POSTGRES, opts)));
    },

    async complete(owner, outcomes, now, opts = DEFAULT_COMPLETE) {
      if (outcomes.length === 0) return;
      await withTransaction(pool, (c) => runSteps(c, completeSteps(POSTGRES, owner, outcomes, now, opts)));
    },

    async releaseExpiredLeases(now) {
      return (await exec(toPg(RELEASE_EXPIRED), [now])).rowCount ?? 0;
    },

    async releaseOwned(owner, now) {
      return (await exec(toPg(RELEASE_OWNED), [now, owner])).rowCount ?? 0;
    },

    async heartbeat(owner, until) {
      await exec(toPg(BEAT), beatParams(owner, until));
    },

    async releaseDeadOwners(now) {
      const released = (await exec(toPg(RELEASE_DEAD_OWNERS), releaseParams(now))).rowCount ?? 0;
      await exec(toPg(FORGET_DEAD_OWNERS), forgetParams(now));
      return released;
    },
  };
}
