import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import { type RetryPolicy, classifyResponse, decide } from "../core/retry-policy.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { Attempt, AttemptRequest, ClaimedDelivery, DeliveryOutcome, EndpointCredentials, SendResult } from "../core/types.ts";
import type { CompleteOptions, Store } from "../store/store.ts";
import { type EndpointProfile, type EventForShaping, type Shaping, attemptRequestOf, buildRequest, compileProfile, compileShaping, contentTypeOf, shapeBatch, shapeBody } from "./request.ts";
import { TransformError } from "./transform.ts";
import type { Sender } from "./sender.ts";

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

/**
 * The delivery loop: claim due deliveries in batches, send each (sign afresh per attempt), and
 * record outcomes in group commits. After each commit the loop claims again, because the
 * per-endpoint cap counts leases in the database.
 */
export function createWorker(o: WorkerOptions): Worker {
  const owner = `wrk_${newId("key").slice(4)}`;
  // Compiled settings per endpoint (decrypted keys, headers, transport), replaced when a claim
  // brings a newer version. Shared promises: one lookup per endpoint however many deliveries wait.
  const profiles = new Map<string, { version: number; profile: Promise<EndpointProfile | null> }>();
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

  // A wake that arrives while the loop is busy claiming is remembered, not lost: that claim may
  // have run before the new work committed, and the next one would otherwise wait for the poll.
  let wakePending = false;
  const wake = () => {
    const r = wakeResolve;
    wakeResolve = null;
    if (r) r();
    else wakePending = true;
  };

  async function loadProfile(endpointId: string): Promise<EndpointProfile | null> {
    const found = await o.store.getEndpointForDelivery(endpointId);
    if (!found) return null;
    const { endpoint, secrets } = found;
    return compileProfile(
      endpoint,
      {
        secret: o.secretBox.decrypt(secrets.secretEnc),
        previousSecret: secrets.previousSecretEnc === null ? null : o.secretBox.decrypt(secrets.previousSecretEnc),
        credentials: secrets.credentialsEnc === null ? {} : (JSON.parse(o.secretBox.decrypt(secrets.credentialsEnc)) as EndpointCredentials),
      },
      o.userAgent,
    );
  }

  function profileFor(c: ClaimedDelivery): Promise<EndpointProfile | null> {
    const cached = profiles.get(c.endpointId);
    if (cached && cached.version >= c.endpointVersion) return cached.profile;
    if (profiles.size > 10_000) profiles.clear();
    const profile = loadProfile(c.endpointId);
    profiles.set(c.endpointId, { version: c.endpointVersion, profile });
    // A failed lookup is not cached: the next claim tries again.
    profile.catch(() => profiles.delete(c.endpointId));
    return profile;
  }

  // Shaping of older endpoint versions, for deliveries pinned to one (their body never changes).
  const shapings = new Map<string, Promise<Shaping>>();
  function shapingFor(p: EndpointProfile, c: ClaimedDelivery): Promise<Shaping> | Shaping {
    if (c.pinnedVersion >= p.version) return p.shaping;
    const key = `${c.endpointId}:${c.pinnedVersion}`;
    let s = shapings.get(key);
    if (!s) {
      if (shapings.size > 10_000) shapings.clear();
      // null: the settings have not changed since that version, so the current ones apply.
      s = o.store.getEndpointSettingsAt(c.endpointId, c.pinnedVersion).then((r) => (r ? compileShaping(r.settings) : p.shaping));
      shapings.set(key, s);
      s.catch(() => shapings.delete(key));
    }
    return s;
  }

  const forShaping = (c: ClaimedDelivery): EventForShaping => ({
    id: c.eventId,
    tenantId: c.tenantId,
    type: c.eventType,
    severity: c.eventSeverity,
    createdAt: c.eventCreatedAt,
    fingerprint: c.fingerprint,
    state: c.state,
    startedAt: c.startedAt,
    updateCount: c.updateCount,
    payload: c.payload,
  });

  /** Sends one delivery, or one batch (its members in membership order) as one request. */
  async function deliver(members: ClaimedDelivery[]): Promise<void> {
    const c = members[0];
    const batchId = c.batchId;
    const attemptNo = Math.max(...members.map((m) => m.attempts)) + 1;
    let outcome: DeliveryOutcome;
    try {
      const profile = await profileFor(c);
      // Deleted meanwhile: its deliveries were cancelled, and completing would change nothing.
      if (!profile) return;
      const nowMs = o.now();
      let result: SendResult;
      let sent: AttemptRequest | null = null;
      try {
        const shaping = await shapingFor(profile, c);
        const max = o.maxBodyBytes ?? 1024 * 1024;
        const body = batchId === null ? await shapeBody(shaping, forShaping(c), max) : await shapeBatch(shaping, members.map(forShaping), max);
        const message = {
          id: batchId ?? c.eventId,
          timestampSec: Math.floor(nowMs / 1000),
          body,
          ...(shaping !== profile.shaping ? { contentType: contentTypeOf(shaping.envelope) } : {}),
        };
        const req = buildRequest(profile, message, nowMs);
        sent = attemptRequestOf(req, o.maxLoggedBodyBytes ?? 16 * 1024);
        result = await o.sender.send(req);
      } catch (e) {
        if (!(e instanceof TransformError)) throw e;
        // The endpoint's transform failed for this event: a failed attempt like any other, nothing sent.
        result = { startedAt: nowMs, durationMs: Math.round(o.now() - nowMs), statusCode: null, headers: null, body: null, errorClass: "transform", errorMessage: e.message };
      }
      const now = o.now();
      const decision = decide(classifyResponse(result, now), attemptNo, o.policy, now, o.random);
      const attempt: Attempt = {
        id: newId("att"),
        // A batch's attempt is recorded once, under the batch.
        deliveryId: batchId ?? c.id,
        batchId,
        tenantId: c.tenantId,
        endpointId: c.endpointId,
        eventId: c.eventId,
        attemptNo,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        statusCode: result.statusCode,
        errorClass: result.errorClass,
        errorMessage: result.errorMessage,
        request: sent,
        responseHeaders: result.headers,
        responseBody: result.body,
        willRetry: decision.willRetry,
        nextAttemptAt: decision.nextAttemptAt,
      };
      outcome = {
        deliveryId: c.id,
        ...(batchId !== null ? { memberIds: members.map((m) => m.id) } : {}),
        endpointId: c.endpointId,
        attempt,
        status: decision.status,
        nextAttemptAt: decision.nextAttemptAt,
        disableEndpoint: decision.disableEndpoint,
      };
      const what = batchId === null ? { delivery: c.id } : { batch: batchId, size: members.length };
      if (decision.status === "failed") {
        o.logger.warn(
          { ...what, event: c.eventId, endpoint: c.endpointId, tenant: c.tenantId, attempt: attemptNo, error: result.errorMessage },
          decision.disableEndpoint ? "endpoint answered 410 Gone: delivery failed and endpoint disabled" : "delivery failed: retry schedule exhausted",
        );
      } else if (decision.status === "pending") {
        o.logger.debug({ ...what, event: c.eventId, endpoint: c.endpointId, tenant: c.tenantId, attempt: attemptNo, status: result.statusCode, error: result.errorMessage }, "attempt failed, will retry");
      } else {
        o.logger.trace({ ...what, event: c.eventId, endpoint: c.endpointId, tenant: c.tenantId, attempt: attemptNo, status: result.statusCode, ms: result.durationMs }, "delivered");
      }
    } catch (e) {
      // Only a bug or an undecryptable secret lands here; the lease expiry brings the delivery back.
      o.logger.error({ err: e, delivery: c.id, event: c.eventId, batch: batchId, endpoint: c.endpointId, tenant: c.tenantId }, "could not attempt delivery");
      return;
    } finally {
      finished(c.tenantId);
    }
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
      } catch (e) {
        // Keep the outcomes and try again; if the process dies the leases expire and the
        // deliveries are sent again (at-least-once).
        o.logger.error({ err: e, count: batch.length }, "could not record delivery outcomes; retrying");
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
          // A batch's members arrive together and go as one request.
          const batches = new Map<string, ClaimedDelivery[]>();
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
          o.logger.error({ err: e }, "could not claim deliveries; will retry");
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

  return {
    owner,
    start() {
      if (running) return;
      running = true;
      loopDone = loop();
    },
    wake,
    inFlight: () => inflight,
    async stop(graceMs = 30_000) {
      running = false;
      wake();
      await loopDone;
      const deadline = Date.now() + graceMs;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Record what was sent; if the database stays unreachable, give up after the grace period:
      // the unrecorded deliveries keep their lease and are sent again (at-least-once).
      for (let i = 0; (buffer.length || flushing) && Date.now() < deadline + 5_000 && i < 1000; i++) await flush();
      if (buffer.length) o.logger.error({ count: buffer.length }, "could not record some outcomes before stopping; they will be sent again");
      try {
        const released = await o.store.releaseOwned(owner, o.now());
        if (released) o.logger.info({ count: released }, "handed unfinished deliveries back to the queue");
      } catch (e) {
        o.logger.error({ err: e }, "could not hand leased deliveries back; they return when their lease expires");
      }
    },
  };
}
