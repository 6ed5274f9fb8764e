import type { Logger } from "pino";
import type { Store } from "../store/store.ts";

export interface ReleaserOptions {
  store: Store;
  logger: Logger;
  now: () => number;
  /** Tells the worker that deliveries were queued. */
  wake: () => void;
  /** How often holds are checked. */
  intervalMs?: number;
}

/** Silences end on their own (or a maintenance window closes): holds are checked this often. */
export const RELEASE_INTERVAL_MS = 2000;

/**
 * The release job (store.releaseHolds): periodically lifts the holds on alerts' sends that no
 * longer apply and queues what the receivers missed. Every worker process runs it; the store's
 * conditional updates make one process release each hold.
 */
export function startReleaser(o: ReleaserOptions): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (stopped || running) return;
    running = o.store
      .releaseHolds(o.now())
      .then((r) => {
        if (r.queued > 0) o.wake();
        if (r.released > 0) o.logger.info(r, "released alerts whose silence no longer holds them");
      })
      .catch((e) => o.logger.error({ err: e }, "releasing held alerts failed; will try again"))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, o.intervalMs ?? RELEASE_INTERVAL_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
