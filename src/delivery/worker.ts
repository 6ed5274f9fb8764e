import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import type { RetryPolicy } from "../core/retry-policy.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { ClaimedDelivery, DeliveryOutcome } from "../core/types.ts";
import type { CompleteOptions, Store } from "../store/store.ts";
import { type AttemptOptions, attemptDelivery } from "./attempt.ts";
import { createEndpointCache } from "./endpoint-cache.ts";
import type { Sender } from "./sender.ts";

/** One delivery, or a batch's members (in membership order): never none. */
type Members = [ClaimedDelivery, ...ClaimedDelivery[]];

export interface WorkerOptions {
  store: Store;
  sender: Sender;
  secretBox: SecretBox;
  logger: Logger;
  policy: RetryPolicy;
  /** Deliveries in flight in this process. */
  concurrency: number;
  endpointConcurrency: number;
  /**
   * Requests in flight per tenant in this process (a batch is one), so that one tenant's slow
   * endpoints leave the other slots to other tenants; omitted: no per-tenant cap.
   */
  tenantConcurrency?: number;
  leaseMs: number;
  pollIntervalMs: number;
  userAgent: string;
  /** Largest body a transform may produce. */
  maxBodyBytes?: number;
  /** Request body bytes kept in each attempt's record (the response's are the sender's maxResponseBytes); default 16 KiB. */
  maxLoggedBodyBytes?: number;
  now: () => number;
  random?: () => number;
  /** Health rules and the operator's tenant, applied when outcomes are recorded. */
  completion?: CompleteOptions;
}

export interface Worker {
  start(): void;
  /** Ingest calls this after a commit so new work is claimed at once instead of at the next poll. */
  wake(): void;
  /** Stops claiming, lets in-flight attempts finish (up to `graceMs`), records them, hands back the rest. */
  stop(graceMs?: number): Promise<void>;
  readonly owner: string;
  inFlight(): number;
}

const CLAIM_BATCH = 256;
const FLUSH_BATCH = 512;
const REAP_INTERVAL_MS = 5_000;
/** A worker renews its heartbeat this often, for this long: one that missed three beats is taken for dead. */
const HEARTBEAT_MS = 2_000;
export const HEARTBEAT_TTL_MS = 6_000;
/** After in-flight requests end (or the grace period), how long stopping keeps trying to record outcomes. */
export const STOP_RECORD_MS = 5_000;

/**
 * The delivery loop: claim due deliveries in batches, send each (sign afresh per attempt), and
 * record outcomes in group commits. After each commit the loop claims again, because the
 * per-endpoint cap counts leases in the database.
 */
export function createWorker(o: WorkerOptions): Worker {
  const owner = `wrk_${newId("key").slice(4)}`;
  let running = false;
  let inflight = 0;
  // Requests in flight per tenant (only tenants with some), for the claim's per-tenant cap.
  const tenantInFlight = new Map<string, number>();
  const started = (tenantId: string) => {
    inflight++;
    tenantInFlight.set(tenantId, (tenantInFlight.get(tenantId) ?? 0) + 1);
  };
  const finished = (tenantId: string) => {
    inflight--;
    const n = (tenantInFlight.get(tenantId) ?? 1) - 1;
    if (n > 0) tenantInFlight.set(tenantId, n);
    else tenantInFlight.delete(tenantId);
  };
  let buffer: DeliveryOutcome[] = [];
  let flushing: Promise<void> | null = null;
  let flushScheduled = false;
  let wakeResolve: (() => void) | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let lastReap = 0;
  // Claims, and recordings of outcomes, that failed in a row (the database unreachable or full):
  // logged when the first fails and when one succeeds again.
  let claimFailures = 0;
  let recordFailures = 0;

  // A wake that arrives while the loop is busy claiming is remembered, not lost: that claim may
  // have run before the new work committed, and the next one would otherwise wait for the poll.
  let wakePending = false;
  const wake = () => {
    const r = wakeResolve;
    wakeResolve = null;
    if (r) r();
    else wakePending = true;
  };

  const attempts: AttemptOptions = {
    endpoints: createEndpointCache(o),
    sender: o.sender,
    policy: o.policy,
    logger: o.logger,
    now: o.now,
    ...(o.random ? { random: o.random } : {}),
    ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
    ...(o.maxLoggedBodyBytes !== undefined ? { maxLoggedBodyBytes: o.maxLoggedBodyBytes } : {}),
    digestOf: (id) => o.store.getDigest(id),
  };

  /** Sends one delivery, or one batch (its members in membership order) as one request. */
  async function deliver(members: Members): Promise<void> {
    const c = members[0];
    let outcome: DeliveryOutcome | null;
    try {
      outcome = await attemptDelivery(members, attempts);
    } catch (e) {
      // Only a bug or an undecryptable secret lands here; the lease expiry brings the delivery back.
      o.logger.error({ err: e, delivery: c.id, event: c.eventId, batch: c.batchId, endpoint: c.endpointId, tenant: c.tenantId }, "could not attempt delivery");
      return;
    } finally {
      finished(c.tenantId);
    }
    if (outcome === null) return;
    buffer.push(outcome);
    scheduleFlush();
  }

  function scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void flush();
    });
  }

  async function flush(): Promise<void> {
    if (flushing) {
      await flushing;
      if (buffer.length) scheduleFlush();
      return;
    }
    if (buffer.length === 0) return;
    const batch = buffer.length > FLUSH_BATCH ? buffer.splice(0, FLUSH_BATCH) : buffer;
    if (batch === buffer) buffer = [];
    flushing = (async () => {
      try {
        await o.store.complete(owner, batch, o.now(), o.completion);
        if (recordFailures > 0) {
          o.logger.info({ failures: recordFailures }, `recording delivery outcomes again after ${recordFailures} failed attempts`);
          recordFailures = 0;
        }
      } catch (e) {
        // Keep the outcomes and try again; if the process dies the leases expire and the
        // deliveries are sent again (at-least-once). Said once per outage, not every retry.
        if (recordFailures++ === 0) o.logger.error({ err: e, count: batch.length }, "could not record delivery outcomes; retrying");
        buffer = batch.concat(buffer);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        flushing = null;
      }
    })();
    await flushing;
    if (buffer.length) scheduleFlush();
    wake();
  }

  async function loop(): Promise<void> {
    while (running) {
      const now = o.now();
      if (now - lastReap > REAP_INTERVAL_MS) {
        lastReap = now;
        try {
          const n = await o.store.releaseExpiredLeases(now);
          if (n) o.logger.info({ count: n }, "released deliveries whose lease expired");
        } catch (e) {
          o.logger.error({ err: e }, "could not release expired leases");
        }
      }
      wakePending = false;
      const free = o.concurrency - inflight;
      let claimed = 0;
      if (free > 0) {
        try {
          const batch = await o.store.claimDue({
            limit: Math.min(free, CLAIM_BATCH),
            leaseMs: o.leaseMs,
            owner,
            now: o.now(),
            endpointConcurrency: o.endpointConcurrency,
            ...(o.tenantConcurrency !== undefined ? { tenantConcurrency: o.tenantConcurrency, tenantInFlight } : {}),
          });
          claimed = batch.length;
          if (claimFailures > 0) {
            o.logger.info({ failures: claimFailures }, `claiming deliveries again after ${claimFailures} failed attempts`);
            claimFailures = 0;
          }
          // A batch's members arrive together and go as one request.
          const batches = new Map<string, Members>();
          for (const c of batch) {
            if (c.batchId === null) {
              started(c.tenantId);
              void deliver([c]);
              continue;
            }
            const m = batches.get(c.batchId);
            if (m) m.push(c);
            else batches.set(c.batchId, [c]);
          }
          for (const members of batches.values()) {
            members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
            started(members[0].tenantId);
            void deliver(members);
          }
        } catch (e) {
          // Once per outage, not once per poll: the count comes with the line that says it is over.
          if (claimFailures++ === 0) o.logger.error({ err: e }, "could not claim deliveries; will retry");
        }
      }
      if (!running) break;
      if (claimed > 0 && claimed === Math.min(free, CLAIM_BATCH) && inflight < o.concurrency) continue;
      if (wakePending) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.pollIntervalMs);
        wakeResolve = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  let heartbeat: { stop(): void } | null = null;

  /**
   * Says this worker is alive every HEARTBEAT_MS (store/heartbeats.ts), and then returns the
   * deliveries of workers whose heartbeat lapsed. Only once its own beats have gone through for a
   * whole HEARTBEAT_TTL_MS: after a database outage every heartbeat has lapsed, and the live
   * workers must have had the time to beat again before any is taken for dead.
   */
  function startHeartbeat() {
    let beatingSince: number | null = null;
    let busy = false;
    const beat = async () => {
      const now = o.now();
      try {
        await o.store.heartbeat(owner, now + HEARTBEAT_TTL_MS);
        beatingSince ??= now;
      } catch {
        beatingSince = null;
        return;
      }
      if (now - beatingSince < HEARTBEAT_TTL_MS) return;
      const n = await o.store.releaseDeadOwners(now).catch(() => 0);
      if (n) {
        o.logger.warn({ count: n }, "resuming deliveries of a worker that stopped beating (it died or lost the database); they are sent again");
        wake();
      }
    };
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void beat().finally(() => (busy = false));
    }, HEARTBEAT_MS);
    timer.unref();
    busy = true;
    void beat().finally(() => (busy = false));
    return { stop: () => clearInterval(timer) };
  }

  return {
    owner,
    start() {
      if (running) return;
      running = true;
      loopDone = loop();
      heartbeat = startHeartbeat();
    },
    wake,
    inFlight: () => inflight,
    async stop(graceMs = 30_000) {
      running = false;
      // Beats go on while it drains: its leases are still its own.
      wake();
      await loopDone;
      const deadline = Date.now() + graceMs;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Record what was sent; if the database stays unreachable or full, give up after
      // STOP_RECORD_MS more: the unrecorded deliveries keep their lease and are sent again
      // (at-least-once). Stopping takes at most graceMs + STOP_RECORD_MS (+ one last write).
      const recordUntil = Date.now() + STOP_RECORD_MS;
      for (let i = 0; (buffer.length || flushing) && Date.now() < recordUntil && i < 1000; i++) await flush();
      if (buffer.length) o.logger.error({ count: buffer.length }, "could not record some outcomes before stopping; they will be sent again");
      try {
        const released = await o.store.releaseOwned(owner, o.now());
        if (released) o.logger.info({ count: released }, "handed unfinished deliveries back to the queue");
      } catch (e) {
        o.logger.error({ err: e }, "could not hand leased deliveries back; they return when their lease expires");
      }
      heartbeat?.stop();
    },
  };
}
