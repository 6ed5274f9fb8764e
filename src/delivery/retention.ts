import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import type { Store } from "../store/store.ts";

export interface RetentionOptions {
  store: Store;
  logger: Logger;
  retentionMs: number;
  intervalMs: number;
  now: () => number;
  /** Rows per batch; each batch is one short transaction. */
  batch?: number;
  /** Who holds the retention lease; defaults to a random id per process. */
  owner?: string;
}

/**
 * Periodically purges data older than the retention period, in bounded batches with a pause
 * between them so that no purge holds a lock for long or starves deliveries. Of several
 * processes on one database, only the holder of the "retention" lease purges.
 */
export function startRetention(o: RetentionOptions): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | null = null;
  const owner = o.owner ?? `ret_${newId("key").slice(4)}`;
  const runOnce = async () => {
    // One process purges at a time: the holder renews at each tick; if it stops, another takes
    // over once the lease (two intervals) has run out.
    if (!(await o.store.acquireLease("retention", owner, o.now(), 2 * o.intervalMs))) return;
    let total = 0;
    const started = o.now();
    for (let i = 0; i < 10_000 && !stopped; i++) {
      const n = await o.store.purge(o.now() - o.retentionMs, o.now(), o.batch ?? 1000);
      total += n;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (total) o.logger.info({ rows: total, ms: o.now() - started }, "retention: purged old events, deliveries and attempts");
  };
  const tick = () => {
    if (stopped || running) return;
    running = runOnce()
      .catch((e) => o.logger.error({ err: e }, "retention purge failed; will try again"))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(tick, Math.min(60_000, o.intervalMs));
  const timer = setInterval(tick, o.intervalMs);
  first.unref();
  timer.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
