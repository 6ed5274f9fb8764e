import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { backendEnv, testBackends } from "../support/backends.ts";
import { pgAvailable } from "../support/pg.ts";
import { type PromMetrics, histogram, scrape, series, total, value } from "../support/prometheus.ts";
import { startReceiver, withReceiver } from "../support/receiver.ts";
import { type ChildServer, type TestServer, eventually, setupTenant, spawnRole, startServer, tempDir, withBackendServer } from "../support/server.ts";

const TOKEN = "metrics-token-for-tests";
// Failed attempts wait an hour for their retry, and circuits stay closed, so every figure is exact.
const QUIET = { TOCSIN_RETRY_SCHEDULE: "1h", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" };

/** The endpoint ids that carry an `endpoint` label, with their value. */
function endpointDepths(m: PromMetrics): Record<string, number> {
  return Object.fromEntries(series(m, "tocsin_endpoint_queue_depth").map((s) => [s.labels.endpoint, s.value]));
}

/** A receiver that holds every request until released, then answers 200 at once. */
async function startHeldReceiver() {
  const held: ServerResponse[] = [];
  let released = false;
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    received++;
    if (released) res.end("ok");
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    release() {
      released = true;
      for (const res of held.splice(0)) res.end("ok");
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const backend of await testBackends()) {
  describe(`${backend}: metrics`, () => {
    it("counts ingests and attempts by outcome and error class, and reads queue, endpoints and circuits at scrape time", { timeout: 60_000 }, async () => {
      const ok = await startReceiver();
      const failing = await startReceiver(() => ({ status: 500 }));
      const db = await backendEnv(backend);
      const dir = tempDir();
      try {
        const env = { ...db.env, ...QUIET };
        // The opt-in list names endpoint ids, which exist once created: create them, then restart with the list.
        const first = await startServer(env, dir);
        let ids: string[];
        try {
          ids = await setupTenant(first.api, "acme", [
            { url: `${ok.url}/a`, eventTypes: ["*"] },
            { url: `${failing.url}/b`, eventTypes: ["*"] },
            { url: `${failing.url}/c`, eventTypes: ["t.2", "t.3"] },
            { url: `${failing.url}/d`, eventTypes: ["t.3"] },
          ]);
        } finally {
          await first.stop();
        }
        const [a, b, c, d] = ids;
        const s: TestServer = await startServer({ ...env, TOCSIN_METRICS_ENDPOINTS: a, TOCSIN_METRICS_TOP_ENDPOINTS: "2" }, dir);
        try {
          const { api, url } = s;
          // A batch of two events, one with an idempotency key sent twice, and one for a tenant that does not exist.
          assert.equal(
            (
              await api("POST", "/v1/tenants/acme/events", [
                { type: "t.1", payload: {} },
                { type: "t.2", payload: {} },
              ])
            ).status,
            202,
          );
          assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "t.3", payload: {}, idempotencyKey: "k3" })).status, 202);
          assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "t.3", payload: {}, idempotencyKey: "k3" })).status, 200);
          assert.equal((await api("POST", "/v1/tenants/nobody/events", { type: "t.1", payload: {} })).status, 404);
          // Deliveries: a gets 3, b 3, c 2, d 1; only a's receiver answers 200.
          await ok.waitFor(3);
          await failing.waitFor(6);
          // Outcomes are recorded after the attempts, and the queue figures are cached for a second.
          const m = await eventually(
            async () => {
              const x = await scrape(url);
              return total(x, "tocsin_deliveries_total") === 9 &&
                value(x, "tocsin_queue_depth", { status: "pending" }) === 6 &&
                value(x, "tocsin_queue_depth", { status: "delivering" }) === 0
                ? x
                : null;
            },
            20_000,
            "9 recorded attempts and 6 pending retries",
          );

          assert.equal(value(m, "tocsin_events_ingested_total", { duplicate: "false" }), 3);
          assert.equal(value(m, "tocsin_events_ingested_total", { duplicate: "true" }), 1);
          assert.equal(value(m, "tocsin_ingest_requests_total", { result: "stored" }), 3);
          assert.equal(value(m, "tocsin_ingest_requests_total", { result: "unknown_tenant" }), 1);
          assert.equal(value(m, "tocsin_deliveries_created_total"), 9);

          assert.deepEqual(
            series(m, "tocsin_deliveries_total")
              .map((x) => [x.labels.outcome, x.labels.error_class, x.value])
              .sort(),
            [
              ["retrying", "http_status", 6],
              ["succeeded", "none", 3],
            ],
          );
          const h = histogram(m, "tocsin_attempt_duration_seconds");
          assert.deepEqual(h.map((x) => [x.labels.outcome, x.count]).sort(), [
            ["retrying", 6],
            ["succeeded", 3],
          ]);
          for (const x of h) {
            assert.equal(x.buckets["+Inf"], x.count, "every attempt falls in the +Inf bucket");
            assert.ok(x.sum !== undefined && x.sum >= 0);
            const bounds = Object.keys(x.buckets)
              .filter((k) => k !== "+Inf")
              .map(Number)
              .sort((p, q) => p - q);
            assert.deepEqual([bounds[0], bounds.at(-1)], [0.005, 60]);
            const counts = bounds.map((le) => x.buckets[String(le)]);
            assert.ok(
              counts.every((n, i) => i === 0 || n >= counts[i - 1]),
              "buckets are cumulative",
            );
          }

          assert.equal(value(m, "tocsin_queue_depth", { status: "due" }), 0, "the retries are an hour away");
          assert.equal(value(m, "tocsin_queue_oldest_due_age_seconds"), 0);
          assert.deepEqual(
            series(m, "tocsin_endpoint_circuits")
              .map((x) => [x.labels.state, x.value])
              .sort(),
            [
              ["closed", 4],
              ["half_open", 0],
              ["open", 0],
            ],
          );
          assert.equal(value(m, "tocsin_endpoints", { status: "enabled" }), 4);
          assert.equal(value(m, "tocsin_endpoints", { status: "disabled" }), 0);
          assert.equal(value(m, "tocsin_stats_up"), 1);
          assert.ok(m.tocsin_process_cpu_seconds_total, "default process metrics carry the prefix");

          // Per-endpoint series: the opted-in endpoint, plus the top 2 by pending deliveries (b: 3, c: 2), never d.
          assert.deepEqual(endpointDepths(m), { [a]: 0, [b]: 3, [c]: 2 });
          assert.deepEqual(
            series(m, "tocsin_endpoint_deliveries_total")
              .map((x) => [x.labels.endpoint, x.labels.outcome, x.value])
              .sort(),
            [
              [a, "failed", 0],
              [a, "retrying", 0],
              [a, "succeeded", 3],
            ],
          );
          // No series names a tenant or an event type.
          for (const [name, family] of Object.entries(m)) {
            for (const x of family.data) {
              for (const v of Object.values(x.labels)) assert.ok(!["acme", "t.1", "t.2", "t.3"].includes(v), `${name} has the label value ${v}`);
            }
          }

          // c's deliveries are cancelled with it: its series goes, and d takes its place in the top 2.
          assert.equal((await api("DELETE", `/v1/tenants/acme/endpoints/${c}`)).status, 204);
          const after = await eventually(async () => {
            const x = await scrape(url);
            return value(x, "tocsin_queue_depth", { status: "pending" }) === 4 ? x : null;
          });
          assert.deepEqual(endpointDepths(after), { [a]: 0, [b]: 3, [d]: 1 });
          assert.equal(value(after, "tocsin_endpoints", { status: "enabled" }), 3);
        } finally {
          await s.stop();
        }
      } finally {
        await ok.close();
        await failing.close();
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reports due deliveries held back by the endpoint's concurrency, and how long the oldest has waited", { timeout: 60_000 }, async () => {
      const rx = await startHeldReceiver();
      try {
        await withBackendServer(backend, { ...QUIET, TOCSIN_ENDPOINT_CONCURRENCY: "1" }, async ({ api, url }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          const ep = await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/held`, eventTypes: ["*"], timeouts: { requestMs: 60_000 } });
          assert.equal(ep.status, 201);
          for (let i = 0; i < 3; i++) assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "t.1", payload: { i } })).status, 202);
          const m = await eventually(
            async () => {
              const x = await scrape(url);
              return value(x, "tocsin_queue_depth", { status: "delivering" }) === 1 && value(x, "tocsin_queue_oldest_due_age_seconds")! > 0 ? x : null;
            },
            15_000,
            "one delivery in flight and two due behind it",
          );
          assert.equal(rx.received(), 1, "the endpoint's concurrency of 1 holds the others back");
          assert.equal(value(m, "tocsin_queue_depth", { status: "pending" }), 2);
          assert.equal(value(m, "tocsin_queue_depth", { status: "due" }), 2);

          rx.release();
          const done = await eventually(async () => {
            const x = await scrape(url);
            return value(x, "tocsin_deliveries_total", { outcome: "succeeded", error_class: "none" }) === 3 &&
              value(x, "tocsin_queue_depth", { status: "pending" }) === 0
              ? x
              : null;
          });
          assert.equal(value(done, "tocsin_queue_depth", { status: "due" }), 0);
          assert.equal(value(done, "tocsin_queue_depth", { status: "delivering" }), 0);
          assert.equal(value(done, "tocsin_queue_oldest_due_age_seconds"), 0);
        });
      } finally {
        rx.release();
        await rx.close();
      }
    });

    it("counts endpoints by circuit state, and leaves an open circuit's backlog out of due", { timeout: 60_000 }, async () => {
      const ok = await startReceiver();
      const failing = await startReceiver(() => ({ status: 503 }));
      try {
        const env = { TOCSIN_CIRCUIT_FAILURES: "1", TOCSIN_CIRCUIT_FAILURE_RATE: "0", TOCSIN_CIRCUIT_COOLDOWN: "1h", TOCSIN_RETRY_SCHEDULE: "100ms" };
        await withBackendServer(backend, env, async ({ api, url }) => {
          await setupTenant(api, "acme", [{ url: `${ok.url}/ok` }, { url: `${failing.url}/down` }]);
          assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "t.1", payload: {} })).status, 202);
          await failing.waitFor(1);
          // The retry was due 100 ms after the failure, but the open circuit holds it for an hour.
          const m = await eventually(
            async () => {
              const x = await scrape(url);
              return value(x, "tocsin_endpoint_circuits", { state: "open" }) === 1 && value(x, "tocsin_queue_depth", { status: "pending" }) === 1 ? x : null;
            },
            15_000,
            "an open circuit with one retry pending",
          );
          assert.equal(value(m, "tocsin_endpoint_circuits", { state: "closed" }), 1);
          assert.equal(value(m, "tocsin_endpoint_circuits", { state: "half_open" }), 0);
          await new Promise((r) => setTimeout(r, 300));
          const later = await eventually(async () => {
            const x = await scrape(url);
            return value(x, "tocsin_endpoint_circuits", { state: "open" }) === 1 ? x : null;
          });
          assert.equal(value(later, "tocsin_queue_depth", { status: "pending" }), 1);
          assert.equal(value(later, "tocsin_queue_depth", { status: "due" }), 0);
          assert.equal(value(later, "tocsin_queue_oldest_due_age_seconds"), 0);
          assert.equal(failing.requests.length, 1, "nothing more was sent while the circuit is open");
        });
      } finally {
        await ok.close();
        await failing.close();
      }
    });

    it("needs the metrics token when one is set, answering 401 with a problem document, and is not rate limited", async () => {
      await withBackendServer(backend, { TOCSIN_METRICS_TOKEN: TOKEN, TOCSIN_RATE_LIMIT: "1" }, async ({ url, apiKey }) => {
        for (const authorization of [undefined, "Bearer wrong", `Bearer ${apiKey}`, TOKEN]) {
          const res = await fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });
          assert.equal(res.status, 401, `Authorization: ${authorization}`);
          assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
          assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="metrics"');
          const body = (await res.json()) as Record<string, unknown>;
          assert.equal(body.status, 401);
          assert.equal(body.code, "unauthorized");
          assert.equal(body.type, "urn:tocsin:problem:unauthorized");
        }
        // One API request a minute, but scrapes are neither API requests nor limited.
        const v1 = async () => (await fetch(`${url}/v1/tenants`, { headers: { authorization: `Bearer ${apiKey}` } })).status;
        assert.equal(await v1(), 200);
        assert.equal(await v1(), 429, "the API rate limit is on");
        for (let i = 0; i < 5; i++) assert.equal(value(await scrape(url, TOKEN), "tocsin_stats_up"), 1);
        const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, { get?: { security?: unknown } }> };
        assert.deepEqual(doc.paths["/metrics"]?.get?.security, [{ bearer: ["metrics"] }]);
      });
    });
  });
}

describe("postgres: metrics of a worker process", { skip: (await pgAvailable()) ? false : "PostgreSQL does not answer" }, () => {
  it("serves /metrics and /healthz on TOCSIN_METRICS_PORT, counting the deliveries that worker made", { timeout: 60_000 }, async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        const db = await backendEnv("postgres");
        const dir = tempDir();
        const key = "tsk_test_metrics";
        const children: ChildServer[] = [];
        try {
          const env = { ...db.env, TOCSIN_METRICS_TOKEN: TOKEN };
          const apiProcess = await spawnRole("api", dir, key, env);
          children.push(apiProcess);
          const worker = await spawnRole("worker", dir, key, { ...env, TOCSIN_METRICS_PORT: "0" });
          children.push(worker);
          const started = worker.output
            .flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as { msg?: string; metrics?: string }] : []))
            .find((l) => l.msg?.endsWith("worker started"));
          assert.ok(started?.metrics, "the worker logs where it serves its metrics");
          const workerUrl = started.metrics.replace(/\/metrics$/, "");

          await setupTenant(apiProcess.api, "acme", [{ url: `${rx.url}/hook` }]);
          for (let i = 0; i < 2; i++) assert.equal((await apiProcess.api("POST", "/v1/tenants/acme/events", { type: "t.1", payload: { i } })).status, 202);
          await rx.waitFor(2);

          const m = await eventually(async () => {
            const x = await scrape(workerUrl, TOKEN);
            return value(x, "tocsin_deliveries_total", { outcome: "succeeded", error_class: "none" }) === 2 ? x : null;
          });
          assert.equal(value(m, "tocsin_events_ingested_total", { duplicate: "false" }), 0, "the API process counts ingests, not the worker");
          assert.equal(value(m, "tocsin_endpoints", { status: "enabled" }), 1, "every process reads the shared queue figures");
          const fromApi = await scrape(apiProcess.url, TOKEN);
          assert.equal(value(fromApi, "tocsin_events_ingested_total", { duplicate: "false" }), 2);
          assert.equal(total(fromApi, "tocsin_deliveries_total"), 0);

          assert.equal((await fetch(`${workerUrl}/metrics`)).status, 401);
          const health = await fetch(`${workerUrl}/healthz`);
          assert.equal(health.status, 200);
          assert.deepEqual(await health.json(), { status: "ok" });
          const other = await fetch(`${workerUrl}/v1/tenants`);
          assert.equal(other.status, 404);
          assert.match(other.headers.get("content-type") ?? "", /^application\/problem\+json/);
        } finally {
          for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGTERM");
          await Promise.all(children.map((c) => c.exited));
          await db.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});
