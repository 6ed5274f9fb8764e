import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import type { Store } from "../store/store.ts";

export interface ReplayRunnerOptions {
  store: Store;
  logger: Logger;
  now: () => number;
  /** Tells the worker that deliveries were queued. */
  wake: () => void;
  /** How often to look for running replays when not nudged. */
  intervalMs?: number;
  /** Items per step; each step is one transaction. */
  step?: number;
}

export interface ReplayRunner {
  /** A replay was started: look now rather than at the next tick. */
  nudge(): void;
  stop(): Promise<void>;
}

const LEASE_MS = 30_000;
/** Time one tick spends on a job before giving others (and the database) a turn. */
const SLICE_MS = 1000;

/**
 * Works through running replay jobs in steps of one transaction each. A job is held by one
 * process at a time through a named lease; if that process dies, another resumes the job from its
 * recorded position once the lease runs out.
 */
export function startReplayRunner(o: ReplayRunnerOptions): ReplayRunner {
  const owner = `rpr_${newId("key").slice(4)}`;
  const step = o.step ?? 500;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  const runOnce = async () => {
    let after = "";
    for (let jobs = 0; jobs < 1000 && !stopped; jobs++) {
      const id = await o.store.nextRunningReplay(after);
      if (id === null) return;
      after = id;
      if (!(await o.store.acquireLease(`replay:${id}`, owner, o.now(), LEASE_MS))) continue;
      const started = Date.now();
      for (let i = 0; i < 100_000 && !stopped && Date.now() - started < SLICE_MS; i++) {
        const job = await o.store.stepReplay(id, o.now(), step);
        if (!job) break;
        if (job.queued > 0) o.wake();
        if (job.state !== "running") {
          o.logger.info(
            {
              replay: id,
              tenant: job.tenantId,
              endpoint: job.endpointId,
              state: job.state,
              processed: job.processed,
              queued: job.queued,
              skipped: job.skipped,
            },
            `replay ${job.state}`,
          );
          break;
        }
      }
    }
  };

  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce()
      .catch((e) => o.logger.error({ err: e }, "replay step failed; will try again"))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          tick();
        }
      });
  };
  const timer = setInterval(tick, o.intervalMs ?? 1000);
  timer.unref();
  setImmediate(tick);
  return {
    nudge: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
