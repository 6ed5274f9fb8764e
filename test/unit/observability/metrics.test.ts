import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../../src/config.ts";
import type { DeliveryOutcome, ErrorClass } from "../../../src/core/types.ts";
import { createMetrics } from "../../../src/observability/metrics.ts";
import { createSqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import { histogram, parseExposition, series, value } from "../../support/prometheus.ts";
import { tempDir } from "../../support/server.ts";

const T0 = 1_700_000_000_000;

function outcome(
  status: DeliveryOutcome["status"],
  errorClass: ErrorClass | null,
  durationMs: number,
  endpointId = "ep_1",
  memberIds?: string[],
): DeliveryOutcome {
  return {
    deliveryId: memberIds ? "bat_1" : "dlv_1",
    ...(memberIds ? { memberIds } : {}),
    endpointId,
    status,
    nextAttemptAt: null,
    disableEndpoint: null,
    attempt: {
      id: "att_1",
      deliveryId: memberIds ? "bat_1" : "dlv_1",
      batchId: memberIds ? "bat_1" : null,
      tenantId: "acme",
      endpointId,
      sentToEndpointId: null,
      eventId: "evt_1",
      attemptNo: 1,
      startedAt: T0,
      durationMs,
      statusCode: errorClass === "http_status" ? 503 : errorClass === null ? 200 : null,
      errorClass,
      errorMessage: null,
      request: null,
      responseHeaders: null,
      responseBody: null,
      willRetry: status === "pending",
      nextAttemptAt: null,
    },
  };
}

/** A real SQLite store in a temp folder, closed when `open` is false (its reads then throw). */
async function withSqlite(open: boolean, fn: (store: Awaited<ReturnType<typeof createSqliteStore>>) => Promise<void>) {
  const dir = tempDir("tocsin-metrics-");
  const store = await createSqliteStore({ path: join(dir, "tocsin.db"), synchronous: "NORMAL" });
  try {
    if (!open) await store.close();
    await fn(store);
  } finally {
    if (open) await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("metrics", () => {
  it("counts a batch's attempt once and its members apart, and labels only opted-in endpoints", async () => {
    await withSqlite(true, async (store) => {
      const config = loadConfig({ TOCSIN_METRICS_ENDPOINTS: "ep_1" });
      const metrics = createMetrics({ config, store, now: () => T0 });
      metrics.recordOutcomes([
        outcome("succeeded", null, 4),
        outcome("failed", "timeout_request", 15_000),
        outcome("pending", "http_status", 120, "ep_2", ["dlv_1", "dlv_2", "dlv_3"]),
      ]);
      metrics.recordIngest([
        { id: "evt_1", deliveries: 2, duplicate: false },
        { id: "evt_2", deliveries: 2, duplicate: true },
      ]);
      metrics.recordIngest(null);
      metrics.recordIngestError();
      const m = await parseExposition(await metrics.scrape());
      assert.deepEqual(
        series(m, "tocsin_deliveries_total")
          .map((s) => [s.labels.outcome, s.labels.error_class, s.value])
          .sort(),
        [
          ["failed", "timeout_request", 1],
          ["retrying", "http_status", 1],
          ["succeeded", "none", 1],
        ],
      );
      assert.deepEqual(
        series(m, "tocsin_batch_members_total").map((s) => [s.labels.outcome, s.value]),
        [["retrying", 3]],
      );
      const h = Object.fromEntries(histogram(m, "tocsin_attempt_duration_seconds").map((s) => [s.labels.outcome, s]));
      assert.equal(h.succeeded.buckets["0.005"], 1, "4 ms falls in the first bucket");
      assert.equal(h.failed.buckets["10"], 0);
      assert.equal(h.failed.buckets["15"], 1, "15 s falls in the 15 s bucket");
      assert.equal(h.retrying.sum, 0.12);
      assert.deepEqual(
        series(m, "tocsin_endpoint_deliveries_total")
          .map((s) => [s.labels.endpoint, s.labels.outcome, s.value])
          .sort(),
        [
          ["ep_1", "failed", 1],
          ["ep_1", "retrying", 0],
          ["ep_1", "succeeded", 1],
        ],
      );
      assert.equal(value(m, "tocsin_events_ingested_total", { duplicate: "false" }), 1);
      assert.equal(value(m, "tocsin_events_ingested_total", { duplicate: "true" }), 1);
      assert.equal(value(m, "tocsin_deliveries_created_total"), 2);
      assert.equal(value(m, "tocsin_ingest_requests_total", { result: "stored" }), 1);
      assert.equal(value(m, "tocsin_ingest_requests_total", { result: "unknown_tenant" }), 1);
      assert.equal(value(m, "tocsin_ingest_requests_total", { result: "error" }), 1);
    });
  });

  it("leaves the database figures out and reports tocsin_stats_up 0 when the database does not answer", async () => {
    await withSqlite(false, async (closed) => {
      const metrics = createMetrics({ config: loadConfig({ TOCSIN_METRICS_ENDPOINTS: "ep_1" }), store: closed, now: () => T0 });
      const m = await parseExposition(await metrics.scrape());
      assert.equal(value(m, "tocsin_stats_up"), 0);
      for (const name of ["tocsin_queue_depth", "tocsin_endpoint_circuits", "tocsin_endpoints", "tocsin_endpoint_queue_depth"]) {
        assert.deepEqual(series(m, name), [], `${name} is left out`);
      }
      assert.equal(value(m, "tocsin_queue_oldest_due_age_seconds"), 0, "no due time was ever read");
      assert.ok(m.tocsin_process_cpu_seconds_total, "the process's own metrics are still there");
    });
  });
});
