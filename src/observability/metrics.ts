import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Config } from "../config.ts";
import type { DeliveryOutcome } from "../core/types.ts";
import type { IngestResult, OperationalStats, Store } from "../store/store.ts";

/** Attempt latencies from a fast local receiver (5 ms) up to the longest response timeout a webhook gets (60 s). */
export const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

/** Scrapes within this long of a database read reuse it, so several scrapers cost one query. */
const STATS_TTL_MS = 1000;

export type OutcomeLabel = "succeeded" | "retrying" | "failed";

const OUTCOME: Record<DeliveryOutcome["status"], OutcomeLabel> = { succeeded: "succeeded", pending: "retrying", failed: "failed" };

export interface MetricsOptions {
  config: Readonly<Config>;
  /** Where the scrape-time figures come from: one call per scrape at most, cached for a second. */
  store: Pick<Store, "operationalStats">;
  /** The clock the database's due times are compared with. */
  now: () => number;
  /** Told when the statistics cannot be read. */
  logger?: Logger;
}

export interface Metrics {
  /** A private registry: nothing else in the process adds to it. */
  registry: Registry;
  /** The exposition format's media type (text/plain; version=0.0.4). */
  contentType: string;
  /** The exposition text, reading the database at most once per second. */
  scrape(): Promise<string>;
  /** Counts the outcomes a worker recorded: one per attempt (a batch's attempt counts once). */
  recordOutcomes(outcomes: readonly DeliveryOutcome[]): void;
  /** Counts an ingest call that returned: null when the tenant does not exist. */
  recordIngest(results: readonly IngestResult[] | null): void;
  /** Counts an ingest call that threw (the database failed; nothing was stored). */
  recordIngestError(): void;
}

/** Tocsin's Prometheus metrics, prefixed `tocsin_`; docs/metrics.md describes each one. */
export function createMetrics(o: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tocsin_" });
  const registers = [registry];
  const optIn = new Set(o.config.metricsEndpoints);

  const deliveries = new Counter({
    name: "tocsin_deliveries_total",
    help: "Delivery attempts by outcome (succeeded, retrying, failed) and error class (none when it succeeded); a batch's attempt counts once",
    labelNames: ["outcome", "error_class"] as const,
    registers,
  });
  const batchMembers = new Counter({
    name: "tocsin_batch_members_total",
    help: "Deliveries sent as members of a batch, by the outcome of the batch's attempt",
    labelNames: ["outcome"] as const,
    registers,
  });
  const retryAfter = new Counter({
    name: "tocsin_retry_after_reschedules_total",
    help: "Retries scheduled at a receiver's Retry-After (a 429 or 503 that carried one); past the schedule they go on until the retry budget by age (TOCSIN_RETRY_BUDGET)",
    registers,
  });
  const attemptDuration = new Histogram({
    name: "tocsin_attempt_duration_seconds",
    help: "Time from the start of an attempt to its outcome (response, error or timeout), by outcome",
    labelNames: ["outcome"] as const,
    buckets: ATTEMPT_BUCKETS,
    registers,
  });
  const endpointDeliveries = new Counter({
    name: "tocsin_endpoint_deliveries_total",
    help: "Delivery attempts of the endpoints named in TOCSIN_METRICS_ENDPOINTS, by outcome",
    labelNames: ["endpoint", "outcome"] as const,
    registers,
  });
  const eventsIngested = new Counter({
    name: "tocsin_events_ingested_total",
    help: 'Events accepted through the API; duplicate="true" counts repeated idempotency keys, which store nothing',
    labelNames: ["duplicate"] as const,
    registers,
  });
  const deliveriesCreated = new Counter({
    name: "tocsin_deliveries_created_total",
    help: "Deliveries created by fan-out at ingest (one per matching endpoint of each new event)",
    registers,
  });
  const eventsFolded = new Counter({
    name: "tocsin_events_folded_total",
    help: "Deliveries folded into a digest at fan-out (one per event and endpoint with a digest window open for its group key), listed in the digest or not",
    registers,
  });
  const ingestRequests = new Counter({
    name: "tocsin_ingest_requests_total",
    help: "Ingest calls (one per accepted API request carrying events) by result: stored, unknown_tenant, error",
    labelNames: ["result"] as const,
    registers,
  });
  const eventsSilenced = new Counter({
    name: "tocsin_events_silenced_total",
    help: 'Deliveries recorded as suppressed at fan-out because a silence matched (one per endpoint of each event); recurring="true": a maintenance window',
    labelNames: ["recurring"] as const,
    registers,
  });
  // Present from the start, so that rate() sees the first increment.
  for (const recurring of ["false", "true"]) eventsSilenced.inc({ recurring }, 0);
  for (const duplicate of ["false", "true"]) eventsIngested.inc({ duplicate }, 0);
  for (const endpoint of optIn) for (const outcome of Object.values(OUTCOME)) endpointDeliveries.inc({ endpoint, outcome }, 0);

  // Read from the database at scrape time. One read at a time, reused for a second after it ends,
  // is shared by every gauge and by concurrent scrapes. The TTL runs on the monotonic clock, not
  // the injected one, which tests may freeze.
  let cached: { doneAt: number; stats: Promise<OperationalStats | null> } | null = null;
  const loadStats = (): Promise<OperationalStats | null> => {
    if (cached && performance.now() - cached.doneAt < STATS_TTL_MS) return cached.stats;
    const entry = { doneAt: Number.POSITIVE_INFINITY, stats: Promise.resolve<OperationalStats | null>(null) };
    entry.stats = o.store
      .operationalStats(o.now(), o.config.metricsTopEndpoints, o.config.metricsEndpoints)
      .catch((e: unknown) => {
        o.logger?.warn({ err: e }, "could not read queue statistics for /metrics; the queue, circuit and endpoint gauges are left out");
        return null;
      })
      .finally(() => {
        entry.doneAt = performance.now();
      });
    cached = entry;
    return entry.stats;
  };

  // Each gauge is reset before it is set, so a series that no longer applies (an endpoint that left
  // the top N, every figure while the database does not answer) disappears instead of going stale.
  const fromStats = (apply: (g: Gauge<string>, s: OperationalStats) => void) =>
    async function collect(this: Gauge<string>) {
      const s = await loadStats();
      this.reset();
      if (s) apply(this, s);
    };

  new Gauge({
    name: "tocsin_stats_up",
    help: "1 when this scrape read the queue and endpoint statistics from the database, 0 when it could not",
    registers,
    async collect() {
      this.set((await loadStats()) ? 1 : 0);
    },
  });
  new Gauge({
    name: "tocsin_queue_depth",
    help: "Deliveries by queue status: pending (waiting, due or not), due (pending, time come, on a claimable endpoint; a subset of pending), delivering (leased)",
    labelNames: ["status"] as const,
    registers,
    collect: fromStats((g, s) => {
      g.set({ status: "pending" }, s.pending);
      g.set({ status: "due" }, s.due);
      g.set({ status: "delivering" }, s.delivering);
    }),
  });
  // A gauge without labels cannot be left out, so while the database does not answer this one keeps
  // counting from the last due time it read: nothing is delivered meanwhile, so that delivery still waits.
  let oldestDueAt: number | null = null;
  new Gauge({
    name: "tocsin_queue_oldest_due_age_seconds",
    help: "How long the longest-waiting due delivery has been due; 0 when nothing is due",
    registers,
    async collect() {
      const s = await loadStats();
      if (s) oldestDueAt = s.oldestDueAt;
      this.set(oldestDueAt === null ? 0 : Math.max(0, o.now() - oldestDueAt) / 1000);
    },
  });
  new Gauge({
    name: "tocsin_endpoint_circuits",
    help: "Enabled endpoints by circuit state (closed, open, half_open)",
    labelNames: ["state"] as const,
    registers,
    collect: fromStats((g, s) => {
      g.set({ state: "closed" }, s.circuits.closed);
      g.set({ state: "open" }, s.circuits.open);
      g.set({ state: "half_open" }, s.circuits.halfOpen);
    }),
  });
  new Gauge({
    name: "tocsin_endpoints",
    help: "Endpoints by status (enabled, disabled)",
    labelNames: ["status"] as const,
    registers,
    collect: fromStats((g, s) => {
      g.set({ status: "enabled" }, s.endpoints.enabled);
      g.set({ status: "disabled" }, s.endpoints.disabled);
    }),
  });
  new Gauge({
    name: "tocsin_alerts_flapping",
    help: "Alerts flapping now: held by flap damping, counted once per endpoint that holds them",
    registers,
    collect: fromStats((g, s) => g.set(s.alertsFlapping)),
  });
  new Gauge({
    name: "tocsin_endpoint_queue_depth",
    help: "Pending deliveries of the endpoints named in TOCSIN_METRICS_ENDPOINTS and of the TOCSIN_METRICS_TOP_ENDPOINTS endpoints with the most",
    labelNames: ["endpoint"] as const,
    registers,
    collect: fromStats((g, s) => {
      for (const e of s.perEndpoint) g.set({ endpoint: e.id }, e.pending);
    }),
  });

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    recordOutcomes(outcomes) {
      for (const oc of outcomes) {
        const outcome = OUTCOME[oc.status];
        deliveries.inc({ outcome, error_class: oc.attempt.errorClass ?? "none" });
        attemptDuration.observe({ outcome }, Math.max(0, oc.attempt.durationMs) / 1000);
        if (oc.memberIds) batchMembers.inc({ outcome }, oc.memberIds.length);
        const status = oc.attempt.statusCode;
        if (oc.status === "pending" && (status === 429 || status === 503) && oc.attempt.responseHeaders?.["retry-after"] !== undefined) retryAfter.inc();
        if (optIn.has(oc.endpointId)) endpointDeliveries.inc({ endpoint: oc.endpointId, outcome });
      }
    },
    recordIngest(results) {
      if (results === null) {
        ingestRequests.inc({ result: "unknown_tenant" });
        return;
      }
      ingestRequests.inc({ result: "stored" });
      let stored = 0;
      let created = 0;
      let folded = 0;
      for (const r of results) {
        if (r.duplicate) continue;
        stored++;
        created += r.deliveries;
        if (r.silenced) {
          if (r.silenced.oneOff) eventsSilenced.inc({ recurring: "false" }, r.silenced.oneOff);
          if (r.silenced.recurring) eventsSilenced.inc({ recurring: "true" }, r.silenced.recurring);
        }
        folded += r.folded ?? 0;
      }
      if (folded) eventsFolded.inc(folded);
      eventsIngested.inc({ duplicate: "false" }, stored);
      if (results.length > stored) eventsIngested.inc({ duplicate: "true" }, results.length - stored);
      if (created) deliveriesCreated.inc(created);
    },
    recordIngestError() {
      ingestRequests.inc({ result: "error" });
    },
  };
}
