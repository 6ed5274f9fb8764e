import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rmSync } from "node:fs";
import { backendEnv, testBackends } from "../support/backends.ts";
import { type ReceivedRequest, freePort, startReceiver, withReceiver } from "../support/receiver.ts";
import { type Api, type ChildServer, eventually, spawnRole, startServer, tempDir, withBackendServer } from "../support/server.ts";

// Endpoint health, circuit breaking, auto-disable with notice, operational events and rate
// limits, end to end with real receivers that go down and come back. Durations that would be long
// in production (cool-downs, the five days before disabling) are configured short here; the rules
// themselves are tested with an injected clock in test/unit/core/health.test.ts.

type Health = {
  circuit: string;
  consecutiveFailures: number;
  successRate: number | null;
  failingSince: string | null;
  lastFailureReason: string | null;
  disableAt: string | null;
};
type Ep = {
  id: string;
  status: string;
  enabled: boolean;
  disabledReason: string | null;
  health: Health;
  rateLimit: { perSecond: number; burst: number } | null;
};
type Dlv = { id: string; status: string; attemptCount: number; endpointId: string };
type Att = { startedAt: string; durationMs: number; errorClass: string | null };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tenant(api: Api, id: string) {
  const r = await api("POST", "/v1/tenants", { id });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function endpoint(api: Api, t: string, body: Record<string, unknown>): Promise<Ep> {
  const r = await api<Ep>("POST", `/v1/tenants/${t}/endpoints`, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const getEp = async (api: Api, t: string, id: string) => (await api<Ep>("GET", `/v1/tenants/${t}/endpoints/${id}`)).body;

async function deliveries(api: Api, t: string, endpointId: string): Promise<Dlv[]> {
  const out: Dlv[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const r: { body: { data: Dlv[]; nextCursor: string | null } } = await api(
      "GET",
      `/v1/tenants/${t}/deliveries?endpointId=${endpointId}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    out.push(...r.body.data);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

const events = (n: number, type = "alert.fired") => Array.from({ length: n }, (_, i) => ({ type, payload: { n: i } }));

async function post(api: Api, t: string, body: unknown) {
  const r = await api("POST", `/v1/tenants/${t}/events`, body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

const typeOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { type?: string }).type;

for (const backend of await testBackends()) {
  describe(`endpoint health and circuit breaking (${backend})`, () => {
    it(
      "a refusing and a hanging endpoint do not slow a healthy one; the refusing one's circuit opens and its deliveries keep their retries",
      { timeout: 60_000 },
      async () => {
        const healthy = await startReceiver();
        const hanging = await startReceiver(() => ({ hang: true }));
        const notices = await startReceiver();
        const refused = `http://127.0.0.1:${await freePort()}`;
        const env = {
          TOCSIN_CIRCUIT_FAILURES: "3",
          TOCSIN_CIRCUIT_FAILURE_RATE: "0",
          TOCSIN_CIRCUIT_COOLDOWN: "60s",
          TOCSIN_RETRY_SCHEDULE: "100ms,100ms,100ms,100ms,100ms,100ms",
          TOCSIN_ENDPOINT_CONCURRENCY: "4",
          TOCSIN_OPS_TENANT: "ops",
        };
        try {
          await withBackendServer(backend, env, async ({ api }) => {
            await tenant(api, "acme");
            await tenant(api, "ops");
            const dead = await endpoint(api, "acme", { url: refused, eventTypes: ["alert.*"] });
            const slow = await endpoint(api, "acme", { url: hanging.url, eventTypes: ["alert.*"], timeouts: { requestMs: 3000 }, signing: { scheme: "none" } });
            await endpoint(api, "acme", { url: healthy.url, eventTypes: ["*"] });
            await endpoint(api, "acme", { url: `${notices.url}/acme`, eventTypes: ["tocsin.*"], format: { envelope: "standard" } });
            await endpoint(api, "ops", { url: `${notices.url}/ops`, eventTypes: ["tocsin.endpoint.failing"], format: { envelope: "standard" } });

            await post(api, "acme", events(40));
            const got = await healthy.waitFor(40, 20_000);
            const healthyDone = Math.max(...got.map((r) => r.at));
            assert.ok(
              got.every((r) => typeof (JSON.parse(r.body) as { n?: number }).n === "number"),
              "'*' does not match tocsin.* events",
            );

            // The hanging endpoint held at most its concurrency cap, and the healthy one finished
            // before the first of those requests even timed out.
            assert.ok(hanging.requests.filter((r) => r.at <= healthyDone).length <= 4, `hanging got ${hanging.requests.length}`);
            const slowAttempt = await eventually(
              async () => {
                for (const d of await deliveries(api, "acme", slow.id)) {
                  if (d.attemptCount === 0) continue;
                  const a = (await api<{ attempts: Att[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`)).body.attempts[0];
                  if (a) return a;
                }
                return null;
              },
              15_000,
              "a timed-out attempt at the hanging endpoint",
            );
            assert.equal(slowAttempt.errorClass, "timeout_request");
            assert.ok(Date.parse(slowAttempt.startedAt) + slowAttempt.durationMs > healthyDone, "healthy deliveries did not wait for the hanging endpoint");

            // The refusing endpoint: circuit open after 3 failures; the rest wait without attempts.
            const ep = await eventually(
              async () => {
                const e = await getEp(api, "acme", dead.id);
                return e.health.circuit === "open" ? e : null;
              },
              10_000,
              "the refusing endpoint's circuit to open",
            );
            assert.equal(ep.status, "failing");
            assert.ok(ep.health.consecutiveFailures >= 3);
            assert.match(ep.health.lastFailureReason ?? "", /connect/);
            assert.ok(ep.health.failingSince);
            const before = await deliveries(api, "acme", dead.id);
            const attempts = before.reduce((n, d) => n + d.attemptCount, 0);
            // The circuit is judged when outcomes are flushed, in groups: attempts in flight or claimed
            // before the flush that opens it still go out, up to about two cap-fulls (4 each).
            assert.ok(attempts >= 3 && attempts <= 3 + 2 * 4, `attempts made before the circuit opened: ${attempts}`);
            await sleep(1000);
            const after = await deliveries(api, "acme", dead.id);
            assert.equal(
              after.reduce((n, d) => n + d.attemptCount, 0),
              attempts,
              "no attempt while the circuit is open",
            );
            assert.equal(after.length, 40);
            assert.ok(
              after.filter((d) => d.status === "pending" && d.attemptCount === 0).length >= 40 - attempts,
              "waiting deliveries keep their whole retry schedule",
            );
            assert.equal(after.filter((d) => d.status === "failed").length, 0);

            // Both the tenant and the operator are told, once.
            const told = await notices.waitFor(2, 10_000, (r) => typeOf(r) === "tocsin.endpoint.failing" && r.body.includes(dead.id));
            assert.deepEqual(told.map((r) => r.path).sort(), ["/acme", "/ops"]);
            const data = (
              JSON.parse(told[0].body) as { data: { tenantId: string; endpoint: { id: string; url: string }; consecutiveFailures: number; retryingAt: string } }
            ).data;
            assert.equal(data.tenantId, "acme");
            assert.equal(data.endpoint.id, dead.id);
            assert.equal(data.endpoint.url, `${refused}/`);
            assert.ok(Date.parse(data.retryingAt) > Date.now() + 30_000, "the next probe is a cool-down away");
            const listed = (await api<{ data: { type: string }[] }>("GET", "/v1/tenants/ops/events")).body.data;
            assert.ok(
              listed.some((e) => e.type === "tocsin.endpoint.failing"),
              "the operator's tenant stores the event like any other",
            );
          });
        } finally {
          await Promise.all([healthy.close(), hanging.close(), notices.close()]);
        }
      },
    );

    it("probes a failing endpoint one request at a time and recovers when it answers again", { timeout: 60_000 }, async () => {
      let down = true;
      await withReceiver(
        () => (down ? { status: 503 } : {}),
        async (rx) => {
          await withReceiver(
            () => ({}),
            async (ops) => {
              const env = {
                TOCSIN_CIRCUIT_FAILURES: "2",
                TOCSIN_CIRCUIT_FAILURE_RATE: "0",
                TOCSIN_CIRCUIT_COOLDOWN: "300ms",
                TOCSIN_CIRCUIT_MAX_COOLDOWN: "600ms",
                TOCSIN_RETRY_SCHEDULE: Array(30).fill("100ms").join(","),
                TOCSIN_OPS_TENANT: "ops",
              };
              await withBackendServer(backend, env, async ({ api }) => {
                await tenant(api, "acme");
                await tenant(api, "ops");
                const ep = await endpoint(api, "acme", { url: rx.url, eventTypes: ["alert.*"] });
                await endpoint(api, "ops", { url: ops.url, eventTypes: ["tocsin.*"], format: { envelope: "standard" } });
                await post(api, "acme", events(5));
                await eventually(async () => (await getEp(api, "acme", ep.id)).health.circuit !== "closed", 10_000, "the circuit to open");
                const n1 = rx.requests.length;
                await sleep(1500);
                const probes = rx.requests.length - n1;
                // Without the breaker, 5 deliveries retried every 100 ms would make ~75 requests here.
                assert.ok(probes >= 1 && probes <= 5, `requests while open: ${probes}`);

                down = false;
                await eventually(
                  async () => (await deliveries(api, "acme", ep.id)).every((d) => d.status === "succeeded"),
                  15_000,
                  "every delivery to succeed",
                );
                const e = await getEp(api, "acme", ep.id);
                assert.equal(e.status, "active");
                assert.equal(e.health.circuit, "closed");
                assert.equal(e.health.consecutiveFailures, 0);
                assert.equal(e.health.failingSince, null);
                const recovered = await ops.waitFor(1, 10_000, (r) => typeOf(r) === "tocsin.endpoint.recovered");
                const data = (JSON.parse(recovered[0].body) as { data: { endpoint: { id: string }; failingSince: string; recoveredAt: string } }).data;
                assert.equal(data.endpoint.id, ep.id);
                assert.ok(Date.parse(data.failingSince) < Date.parse(data.recoveredAt));
                assert.equal(ops.requests.filter((r) => typeOf(r) === "tocsin.endpoint.failing").length, 1, "failing is told once, not at every failed probe");
              });
            },
          );
        },
      );
    });

    it(
      "disables an endpoint that keeps failing for TOCSIN_DISABLE_AFTER, tells both tenants, and starts afresh when re-enabled",
      { timeout: 60_000 },
      async () => {
        await withReceiver(
          () => ({ status: 500 }),
          async (bad) => {
            await withReceiver(
              () => ({}),
              async (rx) => {
                const env = {
                  TOCSIN_CIRCUIT_FAILURES: "2",
                  TOCSIN_CIRCUIT_COOLDOWN: "100ms",
                  TOCSIN_CIRCUIT_MAX_COOLDOWN: "200ms",
                  TOCSIN_DISABLE_AFTER: "1500ms",
                  TOCSIN_RETRY_SCHEDULE: Array(100).fill("50ms").join(","),
                  TOCSIN_OPS_TENANT: "ops",
                };
                await withBackendServer(backend, env, async ({ api }) => {
                  await tenant(api, "acme");
                  await tenant(api, "ops");
                  const ep = await endpoint(api, "acme", { url: bad.url, eventTypes: ["alert.*"] });
                  await endpoint(api, "acme", { url: `${rx.url}/acme`, eventTypes: ["tocsin.endpoint.disabled"], format: { envelope: "standard" } });
                  await endpoint(api, "ops", { url: `${rx.url}/ops`, eventTypes: ["tocsin.*"], format: { envelope: "standard" } });
                  await post(api, "acme", events(1));
                  const disabled = await eventually(
                    async () => {
                      const e = await getEp(api, "acme", ep.id);
                      return e.enabled ? null : e;
                    },
                    15_000,
                    "the endpoint to be disabled",
                  );
                  assert.equal(disabled.status, "disabled");
                  assert.equal(disabled.disabledReason, "failing");
                  const [d] = await deliveries(api, "acme", ep.id);
                  assert.equal(d.status, "pending", "its delivery waits, as for any disabled endpoint");
                  const told = await rx.waitFor(2, 10_000, (r) => typeOf(r) === "tocsin.endpoint.disabled");
                  assert.deepEqual(told.map((r) => r.path).sort(), ["/acme", "/ops"]);
                  const data = (
                    JSON.parse(told[0].body) as { data: { reason: string; endpoint: { id: string }; lastFailureReason: string; failingSince: string } }
                  ).data;
                  assert.equal(data.reason, "failing");
                  assert.equal(data.endpoint.id, ep.id);
                  assert.equal(data.lastFailureReason, "HTTP 500");
                  assert.ok(Date.now() - Date.parse(data.failingSince) >= 1500);

                  const n = bad.requests.length;
                  await sleep(300);
                  assert.equal(bad.requests.length, n, "nothing is sent to a disabled endpoint");
                  const again = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { enabled: true });
                  assert.equal(again.status, 200);
                  assert.equal(again.body.health.circuit, "closed");
                  assert.equal(again.body.health.consecutiveFailures, 0);
                  assert.equal(again.body.health.failingSince, null);
                  assert.equal(again.body.disabledReason, null);
                  await bad.waitFor(n + 1, 5000);
                });
              },
            );
          },
        );
      },
    );

    it("announces exhausted deliveries, but not those of operational events (no loops)", { timeout: 60_000 }, async () => {
      await withReceiver(
        () => ({ status: 500 }),
        async (bad) => {
          await withReceiver(
            () => ({}),
            async (ops) => {
              const env = { TOCSIN_RETRY_SCHEDULE: "50ms,50ms", TOCSIN_CIRCUIT_FAILURES: "0", TOCSIN_CIRCUIT_FAILURE_RATE: "0", TOCSIN_OPS_TENANT: "ops" };
              await withBackendServer(backend, env, async ({ api }) => {
                await tenant(api, "acme");
                await tenant(api, "ops");
                const ep = await endpoint(api, "acme", { url: `${bad.url}/alerts`, eventTypes: ["alert.*"] });
                // The tenant's own notice endpoint fails too: its exhausted delivery must not beget another notice.
                const notify = await endpoint(api, "acme", { url: `${bad.url}/notices`, eventTypes: ["tocsin.delivery.exhausted"] });
                await endpoint(api, "ops", { url: ops.url, eventTypes: ["tocsin.delivery.exhausted"], format: { envelope: "standard" } });
                await post(api, "acme", { type: "alert.fired", payload: { n: 1 } });
                await eventually(
                  async () => (await deliveries(api, "acme", notify.id)).some((d) => d.status === "failed"),
                  15_000,
                  "the notice's delivery to fail too",
                );
                await sleep(300);
                const got = ops.requests.filter((r) => typeOf(r) === "tocsin.delivery.exhausted");
                assert.equal(got.length, 1, got.map((r) => r.body).join("\n"));
                const data = (
                  JSON.parse(got[0].body) as {
                    data: { delivery: { id: string; eventType: string; attempts: number }; endpoint: { id: string }; lastStatusCode: number };
                  }
                ).data;
                const [d] = await deliveries(api, "acme", ep.id);
                assert.equal(d.status, "failed");
                assert.deepEqual(
                  [data.delivery.id, data.delivery.eventType, data.delivery.attempts, data.endpoint.id, data.lastStatusCode],
                  [d.id, "alert.fired", 3, ep.id, 500],
                );
              });
            },
          );
        },
      );
    });
  });

  describe(`rate limit per endpoint (${backend})`, () => {
    it("validates rateLimit and shows it", async () => {
      await withBackendServer(backend, {}, async ({ api }) => {
        await tenant(api, "acme");
        const bad: [unknown, string][] = [
          [{}, "/rateLimit/perSecond"],
          [{ perSecond: 0 }, "/rateLimit/perSecond"],
          [{ perSecond: "fast" }, "/rateLimit/perSecond"],
          [{ perSecond: 1e9 }, "/rateLimit/perSecond"],
          [{ perSecond: 5, burst: 0 }, "/rateLimit/burst"],
          [{ perSecond: 5, burst: 1.5 }, "/rateLimit/burst"],
          [{ perSecond: 5, extra: 1 }, "/rateLimit"],
          ["10/s", "/rateLimit"],
        ];
        for (const [rateLimit, path] of bad) {
          const r = await api<{ errors: { path: string }[] }>("POST", "/v1/tenants/acme/endpoints", {
            url: "http://127.0.0.1:9/x",
            eventTypes: ["*"],
            rateLimit,
          });
          assert.equal(r.status, 400, JSON.stringify(rateLimit));
          assert.ok(
            r.body.errors.some((e) => e.path.startsWith(path)),
            `${JSON.stringify(rateLimit)}: ${JSON.stringify(r.body)}`,
          );
        }
        const e = await endpoint(api, "acme", { url: "http://127.0.0.1:9/x", eventTypes: ["*"], rateLimit: { perSecond: 2.5 } });
        assert.deepEqual(e.rateLimit, { perSecond: 2.5, burst: 3 });
        const p = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${e.id}`, { rateLimit: { burst: 10 } });
        assert.deepEqual(p.body.rateLimit, { perSecond: 2.5, burst: 10 });
        const off = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${e.id}`, { rateLimit: null });
        assert.equal(off.body.rateLimit, null);
      });
    });

    it(
      `holds perSecond and burst across ${backend === "postgres" ? "two worker processes" : "the worker"}; deliveries beyond it wait, never fail`,
      { timeout: 60_000 },
      async () => {
        await withReceiver(
          () => ({}),
          async (rx) => {
            const b = await backendEnv(backend);
            const s = await startServer({ ...b.env, TOCSIN_CONCURRENCY: "64" });
            const extra: ChildServer[] = [];
            try {
              // On PostgreSQL a second worker process claims from the same queue.
              if (backend === "postgres") extra.push(await spawnRole("worker", tempDir(), s.apiKey, { ...b.env, TOCSIN_CONCURRENCY: "64" }));
              const { api } = s;
              await tenant(api, "acme");
              const perSecond = 5;
              const burst = 2;
              const ep = await endpoint(api, "acme", { url: rx.url, eventTypes: ["*"], rateLimit: { perSecond, burst } });
              await post(api, "acme", events(12));
              const got = await rx.waitFor(12, 20_000);
              // The token-bucket law: between any two arrivals, at most burst + perSecond × the time
              // between them, where that time may have been shortened by how late the earlier request
              // arrived after its claim (a slow first connection, two processes on a loaded 2-core
              // machine: 10 requests were once seen 1,397 ms apart, 2.4 ms short of 1 token of slack).
              // An unlimited endpoint would still fail at once: 12 requests within a few ms.
              const JITTER_MS = 400;
              for (let i = 0; i < got.length; i++) {
                for (let j = i + 1; j < got.length; j++) {
                  const ms = got[j].at - got[i].at;
                  const allowed = burst + (perSecond * (ms + JITTER_MS)) / 1000;
                  assert.ok(j - i + 1 <= allowed, `requests ${i + 1} to ${j + 1} came within ${ms} ms; the bucket allows ${allowed.toFixed(1)}`);
                }
              }
              const ds = await eventually(
                async () => {
                  const all = await deliveries(api, "acme", ep.id);
                  return all.every((d) => d.status === "succeeded") ? all : null;
                },
                5000,
                "every delivery recorded as succeeded",
              );
              assert.equal(ds.length, 12);
              assert.ok(
                ds.every((d) => d.attemptCount === 1),
                "waiting for the rate is not a failed attempt",
              );
              assert.equal(new Set(got.map((r) => r.headers["webhook-id"])).size, 12, "each sent once");
            } finally {
              for (const c of extra) if (c.child.exitCode === null) c.child.kill("SIGTERM");
              await Promise.all(extra.map((c) => c.exited));
              await s.stop();
              rmSync(s.dataDir, { recursive: true, force: true });
              await b.drop();
            }
          },
        );
      },
    );
  });
}
