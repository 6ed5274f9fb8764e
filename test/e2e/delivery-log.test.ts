import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testBackends } from "../support/backends.ts";
import { startReceiver } from "../support/receiver.ts";
import { type Api, eventually, withBackendServer } from "../support/server.ts";

// The delivery log as the console reads it: each attempt's request as sent, the log's filters
// (event type, creation time) and the bounded stats behind the overview's charts.

type AttemptRequest = { method: string; url: string; headers: Record<string, string>; body: string | null; bodyBytes: number };
type Attempt = { attemptNo: number; statusCode: number | null; request: AttemptRequest | null };
type Delivery = { id: string; status: string; eventType: string; createdAt: string; attemptCount: number; attempts: Attempt[] };
type Page = { data: Delivery[]; nextCursor: string | null };
type WaitingDoc = { waitingFor?: { reason: string; until: string | null } | null };

async function tenantWith(api: Api, tenant: string, endpoint: Record<string, unknown>): Promise<string> {
  assert.equal((await api("POST", "/v1/tenants", { id: tenant })).status, 201);
  const ep = await api<{ id: string }>("POST", `/v1/tenants/${tenant}/endpoints`, { eventTypes: ["*"], ...endpoint });
  assert.equal(ep.status, 201, JSON.stringify(ep.body));
  return ep.body.id;
}

const settled = (d: Delivery) => d.status === "succeeded" || d.status === "failed";

for (const backend of await testBackends()) {
  describe(`${backend}: delivery log`, () => {
    it("records each attempt's request as sent: method, URL, headers with credentials redacted, and the body", async () => {
      const rx = await startReceiver((_req, n) => (n === 1 ? { status: 503, body: "busy" } : { status: 204 }));
      try {
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "100ms" }, async ({ api }) => {
          await tenantWith(api, "acme", {
            url: `${rx.url}/hook`,
            method: "PUT",
            headers: { "X-Source": "scanner" },
            auth: { type: "basic", username: "ops", password: "pa55 word" },
          });
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", '{"type":"scan.done","payload":{"score":9.50,"host":"café"}}');
          assert.equal(ev.status, 202);
          const sent = await rx.waitFor(2);
          const list = await eventually(async () => {
            const r = await api<Page>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`);
            return r.body.data.find(settled);
          });
          const d = (await api<Delivery>("GET", `/v1/tenants/acme/deliveries/${list.id}`)).body;
          assert.equal(d.status, "succeeded");
          assert.equal(d.attempts.length, 2);
          for (const [i, a] of d.attempts.entries()) {
            const q = a.request;
            assert.ok(q, `attempt ${a.attemptNo} has its request`);
            const wire = sent[i];
            assert.equal(q.method, "PUT");
            assert.equal(q.url, `${rx.url}/hook`);
            assert.equal(q.body, wire.body, "the recorded body is the body that arrived");
            assert.equal(q.body, '{"score":9.50,"host":"café"}');
            assert.equal(q.bodyBytes, Buffer.byteLength(wire.body));
            assert.equal(q.headers["X-Source"], "scanner");
            assert.equal(q.headers["webhook-id"], ev.body.id);
            assert.equal(q.headers["webhook-timestamp"], wire.headers["webhook-timestamp"]);
            assert.equal(q.headers["webhook-signature"], wire.headers["webhook-signature"], "the signature recorded is the one sent");
            assert.equal(wire.headers.authorization, `Basic ${Buffer.from("ops:pa55 word").toString("base64")}`);
            assert.equal(q.headers.authorization, "Basic [redacted]");
            assert.ok(!JSON.stringify(d).includes("pa55"), "the password appears nowhere in the delivery document");
          }
          assert.deepEqual(
            d.attempts.map((a) => a.statusCode),
            [503, 204],
          );
        });
      } finally {
        await rx.close();
      }
    });

    it("keeps the first 16 KiB of a large body, cut at a character boundary, with the whole size", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          await tenantWith(api, "acme", { url: `${rx.url}/hook` });
          // Three-byte characters, so that 16,384 bytes falls inside one of them.
          const payload = { text: "€".repeat(10_000) };
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "scan.done", payload });
          const [wire] = await rx.waitFor(1);
          const listed = await eventually(async () => (await api<Page>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`)).body.data.find(settled));
          const [a] = (await api<Delivery>("GET", `/v1/tenants/acme/deliveries/${listed.id}`)).body.attempts;
          assert.ok(a.request?.body);
          assert.equal(a.request.bodyBytes, Buffer.byteLength(wire.body));
          assert.ok(a.request.bodyBytes > 30_000);
          const kept = Buffer.byteLength(a.request.body);
          assert.ok(kept <= 16 * 1024 && kept > 16 * 1024 - 3, `kept ${kept} bytes`);
          assert.ok(wire.body.startsWith(a.request.body), "the kept part is a prefix of what was sent");
          assert.ok(!a.request.body.includes("\ufffd"), "no character was cut in two");
        });
      } finally {
        await rx.close();
      }
    });

    it("filters the log by event type or family and by creation time, and pages within the filter", async () => {
      const rx = await startReceiver();
      const base = Date.now() - 3 * 3600_000;
      let clock = base;
      try {
        await withBackendServer(
          backend,
          {},
          async ({ api }) => {
            await tenantWith(api, "acme", { url: `${rx.url}/hook` });
            const types = ["alert.fired", "alert.resolved", "scan.done", "my_app.ok", "myXapp.ok"];
            for (const [i, type] of types.entries()) {
              clock = base + i * 600_000; // 10 minutes apart
              assert.equal((await api("POST", "/v1/tenants/acme/events", { type, payload: { i } })).status, 202);
            }
            const types_ = async (query: string) => {
              const r = await api<Page>("GET", `/v1/tenants/acme/deliveries?${query}`);
              assert.equal(r.status, 200, JSON.stringify(r.body));
              return r.body.data.map((d) => d.eventType);
            };
            assert.deepEqual(await types_("eventType=alert.*"), ["alert.resolved", "alert.fired"]);
            assert.deepEqual(await types_("eventType=scan.done"), ["scan.done"]);
            assert.deepEqual(await types_("eventType=my_app.*"), ["my_app.ok"], "_ in a family is a character, not a wildcard");
            assert.equal((await types_("eventType=*")).length, 5);
            const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
            // [base+10min, base+30min): the second and third events; until is exclusive.
            assert.deepEqual(await types_(`since=${at(base + 600_000)}&until=${at(base + 1_800_000)}`), ["scan.done", "alert.resolved"]);
            assert.deepEqual(await types_(`since=${at(base + 600_001)}`), ["myXapp.ok", "my_app.ok", "scan.done"]);
            assert.deepEqual(await types_(`until=${at(base + 1)}&eventType=alert.*`), ["alert.fired"]);

            // Paging keeps the filter: one at a time through the alert family.
            const first = await api<Page>("GET", "/v1/tenants/acme/deliveries?eventType=alert.*&limit=1");
            assert.deepEqual(
              first.body.data.map((d) => d.eventType),
              ["alert.resolved"],
            );
            assert.ok(first.body.nextCursor);
            const second = await api<Page>("GET", `/v1/tenants/acme/deliveries?eventType=alert.*&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
            assert.deepEqual(
              second.body.data.map((d) => d.eventType),
              ["alert.fired"],
            );

            for (const [query, field] of [
              ["eventType=not a type", "query.eventType"],
              ["since=yesterday", "query.since"],
              ["until=2026-13-01T00:00:00Z", "query.until"],
            ] as const) {
              const r = await api<{ status: number; errors: { path: string }[] }>("GET", `/v1/tenants/acme/deliveries?${query}`);
              assert.equal(r.status, 400, query);
              assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
              assert.equal(r.body.errors[0].path, field, query);
            }
          },
          () => clock,
        );
      } finally {
        await rx.close();
      }
    });

    it("counts deliveries by outcome over time and summarizes attempt latency, per tenant and per endpoint", async () => {
      const rx = await startReceiver((req) =>
        req.path === "/gone" ? { status: 410 } : req.path === "/later" ? { status: 500 } : { status: 200, delayMs: 30 },
      );
      const base = Date.now() - 3 * 3600_000;
      let clock = base;
      try {
        await withBackendServer(
          backend,
          { TOCSIN_RETRY_SCHEDULE: "1h" },
          async ({ api }) => {
            assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
            const ids: Record<string, string> = {};
            for (const [name, types] of [
              ["ok", ["ok.*"]],
              ["gone", ["gone.*"]],
              ["later", ["later.*"]],
            ] as const) {
              const r = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/${name}`, eventTypes: types });
              ids[name] = r.body.id;
            }
            // Hour 0: two that succeed; hour 1: one the receiver calls gone (failed); hour 2: one waiting for its retry.
            for (const [offset, type] of [
              [5 * 60_000, "ok.a"],
              [50 * 60_000, "ok.b"],
              [70 * 60_000, "gone.a"],
              [130 * 60_000, "later.a"],
            ] as const) {
              clock = base + offset;
              const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type, payload: {} });
              assert.equal(ev.status, 202);
              // Its attempt is recorded before the clock moves on: a jump while it is in flight
              // would expire its lease, and a second attempt would change the counts.
              await eventually(async () => {
                const [d] = (await api<Page>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`)).body.data;
                return d && d.status !== "delivering" && d.attemptCount >= 1;
              });
            }
            assert.equal(rx.requests.length, 4);
            const since = encodeURIComponent(new Date(base).toISOString());
            const until = encodeURIComponent(new Date(base + 3 * 3600_000).toISOString());
            type Stats = {
              bucketMs: number;
              buckets: { start: string; counts: Record<string, number> }[];
              totals: Record<string, number>;
              latency: { count: number; p50: number | null; max: number | null; histogram: { upToMs: number | null; count: number }[] };
              sampled: boolean;
            };
            const stats = await eventually(async () => {
              const r = await api<Stats>("GET", `/v1/tenants/acme/stats/deliveries?since=${since}&until=${until}&buckets=3`);
              assert.equal(r.status, 200, JSON.stringify(r.body));
              return r.body.latency.count === 4 && r.body.totals.succeeded === 2 && r.body.totals.failed === 1 ? r.body : null;
            });
            assert.equal(stats.bucketMs, 3600_000);
            assert.deepEqual(
              stats.buckets.map((b) => b.start),
              [0, 1, 2].map((h) => new Date(base + h * 3600_000).toISOString()),
            );
            assert.deepEqual(
              stats.buckets.map((b) => b.counts),
              [
                { succeeded: 2, failed: 0, waiting: 0, cancelled: 0, suppressed: 0 },
                { succeeded: 0, failed: 1, waiting: 0, cancelled: 0, suppressed: 0 },
                { succeeded: 0, failed: 0, waiting: 1, cancelled: 0, suppressed: 0 },
              ],
            );
            assert.equal(stats.sampled, false);
            assert.equal(
              stats.latency.histogram.reduce((s, b) => s + b.count, 0),
              4,
            );
            assert.ok(stats.latency.max !== null && stats.latency.max >= 30, "the 30 ms answers are measured");

            const one = await api<Stats>("GET", `/v1/tenants/acme/stats/deliveries?since=${since}&until=${until}&buckets=3&endpointId=${ids.ok}`);
            assert.deepEqual(one.body.totals, { succeeded: 2, failed: 0, waiting: 0, cancelled: 0, suppressed: 0 });
            assert.equal(one.body.latency.count, 2);
            assert.ok(one.body.latency.p50 !== null && one.body.latency.p50 >= 30);

            for (const [query, status, field] of [
              [`since=${until}&until=${since}`, 400, "query.until"],
              [`since=${since}&until=${encodeURIComponent(new Date(base + 40 * 86_400_000).toISOString())}`, 400, "query.until"],
              [`since=${since}&buckets=0`, 400, "query.buckets"],
              ["buckets=3", 400, "query.since"],
            ] as const) {
              const r = await api<{ errors?: { path: string }[] }>("GET", `/v1/tenants/acme/stats/deliveries?${query}`);
              assert.equal(r.status, status, query);
              assert.equal(r.body.errors?.[0].path, field, query);
            }
            assert.equal((await api("GET", `/v1/tenants/acme/stats/deliveries?since=${since}&endpointId=ep_nope`)).status, 404);
            assert.equal((await api("GET", `/v1/tenants/nobody/stats/deliveries?since=${since}`)).status, 404);
          },
          () => clock,
        );
      } finally {
        await rx.close();
      }
    });

    it("says what a pending delivery waits for, and Retry now makes it due at once", async () => {
      let ok = false;
      const rx = await startReceiver(() => ({ status: ok ? 204 : 503 }));
      try {
        // Circuit rules off: the delivery waits an hour for its retry, and nothing else holds it.
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "1h", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" }, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/hook` });
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          await rx.waitFor(1);
          const pending = await eventually(async () => {
            const r = await api<Page>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`);
            const d = r.body.data[0] as Delivery & WaitingDoc;
            return d?.status === "pending" && d.attemptCount === 1 ? d : null;
          });
          assert.equal(pending.waitingFor?.reason, "retry");
          assert.ok(Date.parse(pending.waitingFor!.until!) > Date.now() + 30 * 60_000, "the retry an hour away, not a time in the past");
          const one = await api<Delivery & WaitingDoc>("GET", `/v1/tenants/acme/deliveries/${pending.id}`);
          assert.deepEqual(one.body.waitingFor, pending.waitingFor);

          ok = true;
          const r = await api<Delivery & WaitingDoc & { nextAttemptAt: string }>("POST", `/v1/tenants/acme/deliveries/${pending.id}/retry`);
          assert.equal(r.status, 202, JSON.stringify(r.body));
          assert.equal(r.body.status, "pending");
          assert.ok(Date.parse(r.body.nextAttemptAt) <= Date.now(), "due now");
          await rx.waitFor(2);
          const done = await eventually(async () => {
            const x = await api<Delivery & WaitingDoc>("GET", `/v1/tenants/acme/deliveries/${pending.id}`);
            return x.body.status === "succeeded" ? x.body : null;
          });
          assert.equal(done.waitingFor, null, "settled: waits for nothing");
          const again = await api<{ detail: string }>("POST", `/v1/tenants/acme/deliveries/${pending.id}/retry`);
          assert.equal(again.status, 409);
          assert.match(again.body.detail, /succeeded; only failed, suppressed and pending deliveries can be retried/);
          assert.equal((await api("GET", `/v1/tenants/acme/endpoints/${ep}`)).status, 200);
        });
      } finally {
        await rx.close();
      }
    });

    it("refuses Retry now while the endpoint's circuit is open, naming it and until when", async () => {
      const rx = await startReceiver(() => ({ status: 503 }));
      try {
        await withBackendServer(
          backend,
          { TOCSIN_RETRY_SCHEDULE: "1h", TOCSIN_CIRCUIT_FAILURES: "1", TOCSIN_CIRCUIT_COOLDOWN: "1h", TOCSIN_CIRCUIT_MAX_COOLDOWN: "2h" },
          async ({ api }) => {
            const ep = await tenantWith(api, "acme", { url: `${rx.url}/hook` });
            await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
            const health = await eventually(async () => {
              const e = await api<{ health: { circuit: string; circuitUntil: string; status: string }; status: string }>(
                "GET",
                `/v1/tenants/acme/endpoints/${ep}`,
              );
              return e.body.health.circuit === "open" ? e.body : null;
            });
            assert.equal(health.status, "failing");
            assert.equal(health.health.status, "failing");
            const [d] = (await api<{ data: (Delivery & WaitingDoc)[] }>("GET", "/v1/tenants/acme/deliveries")).body.data;
            assert.equal(d.status, "pending");
            const r = await api<{ status: number; code: string; detail: string }>("POST", `/v1/tenants/acme/deliveries/${d.id}/retry`);
            assert.equal(r.status, 409);
            assert.equal(r.body.code, "conflict");
            assert.equal(r.body.detail.includes(`the endpoint's circuit is open until ${health.health.circuitUntil}`), true, r.body.detail);
            assert.equal(rx.requests.length, 1, "nothing more was sent");
          },
        );
      } finally {
        await rx.close();
      }
    });

    it("refuses Retry now while the endpoint's rate limit holds, and says the delivery waits for it", async () => {
      const rx = await startReceiver(() => ({ status: 204 }));
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          // One request every 1000 s: the second event's delivery waits for the bucket.
          await tenantWith(api, "acme", { url: `${rx.url}/hook`, rateLimit: { perSecond: 0.001, burst: 1 } });
          await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 1 } });
          await rx.waitFor(1);
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 2 } });
          const d = await eventually(async () => {
            const r = await api<{ data: (Delivery & WaitingDoc)[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`);
            return r.body.data[0]?.waitingFor?.reason === "rate_limit" ? r.body.data[0] : null;
          });
          assert.equal(d.status, "pending");
          assert.ok(Date.parse(d.waitingFor!.until!) > Date.now() + 60_000, "the bucket refills in minutes");
          const r = await api<{ detail: string }>("POST", `/v1/tenants/acme/deliveries/${d.id}/retry`);
          assert.equal(r.status, 409);
          assert.match(r.body.detail, /the endpoint's rate limit holds until /);
          assert.equal(rx.requests.length, 1);
        });
      } finally {
        await rx.close();
      }
    });

    it("calls an endpoint failing after 3 failed attempts in a row, though its circuit is still closed", async () => {
      const rx = await startReceiver(() => ({ status: 500 }));
      try {
        await withBackendServer(
          backend,
          { TOCSIN_RETRY_SCHEDULE: "50ms,50ms,1h", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0" },
          async ({ api }) => {
            const ep = await tenantWith(api, "acme", { url: `${rx.url}/hook` });
            type Ep = { status: string; health: { status: string; circuit: string; consecutiveFailures: number } };
            assert.equal((await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep}`)).body.health.status, "unknown");
            await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
            await rx.waitFor(1);
            const first = await eventually(async () => {
              const e = (await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep}`)).body;
              return e.health.consecutiveFailures >= 1 ? e : null;
            });
            if (first.health.consecutiveFailures < 3) assert.equal(first.health.status, "degraded");
            const e = await eventually(async () => {
              const x = (await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep}`)).body;
              return x.health.consecutiveFailures >= 3 ? x : null;
            });
            assert.equal(e.health.circuit, "closed");
            assert.equal(e.health.status, "failing");
            assert.equal(e.status, "failing", "not a green active");
          },
        );
      } finally {
        await rx.close();
      }
    });
  });
}
