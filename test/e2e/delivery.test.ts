import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { freePort, startReceiver } from "../support/receiver.ts";
import { testBackends } from "../support/backends.ts";
import { eventually, setupTenant, withBackendServer } from "../support/server.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

type Delivery = { id: string; status: string; attemptCount: number; endpointId: string };
type Attempt = { attemptNo: number; statusCode: number | null; errorClass: string | null; willRetry: boolean; startedAt: string; nextAttemptAt: string | null };

for (const backend of await testBackends()) {
  describe(`${backend}: delivery`, () => {
    it("fans an event out to every matching endpoint of its tenant, and only those", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          await setupTenant(api, "acme", [
            { url: `${rx.url}/all`, eventTypes: ["*"] },
            { url: `${rx.url}/alerts`, eventTypes: ["alert.*"] },
            { url: `${rx.url}/exact`, eventTypes: ["alert.fired"] },
            { url: `${rx.url}/none`, eventTypes: [] },
            { url: `${rx.url}/ops`, eventTypes: ["tocsin.endpoint.disabled"] },
          ]);
          await setupTenant(api, "other", [{ url: `${rx.url}/other`, eventTypes: ["*"] }]);
          const r1 = await api("POST", "/v1/tenants/acme/events", { type: "alert.fired", payload: { n: 1 } });
          assert.equal(r1.status, 202);
          assert.equal(r1.body.deliveries, 3);
          const r2 = await api("POST", "/v1/tenants/acme/events", { type: "scan.done", payload: { n: 2 } });
          assert.equal(r2.body.deliveries, 1);
          const r3 = await api("POST", "/v1/tenants/acme/events", { type: "tocsin.endpoint.disabled", payload: { n: 3 } });
          assert.equal(r3.body.deliveries, 1, "* must not match tocsin.* types; only the endpoint naming it receives it");
          await rx.waitFor(5);
          await new Promise((r) => setTimeout(r, 200));
          const paths = rx.requests.map((r) => `${r.path} ${JSON.parse(r.body).n}`).sort();
          assert.deepEqual(paths, ["/alerts 1", "/all 1", "/all 2", "/exact 1", "/ops 3"]);
          const ev = await api<{ deliveries: Delivery[] }>("GET", `/v1/tenants/acme/events/${r1.body.id}`);
          assert.equal(ev.body.deliveries.length, 3);
        });
      } finally {
        await rx.close();
      }
    });

    it("sends the payload with every number's source text and Standard Webhooks headers", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ api, url, apiKey }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook`, secret: SECRET }]);
          const payload = '{"price": 0.00, "big": 12345678901234567890, "exp": 1E+2, "neg": -0, "s": "caf\\u00e9 \\/"}';
          const r = await api("POST", "/v1/tenants/acme/events", `{"type":"scan.done","payload":${payload}}`);
          assert.equal(r.status, 202);
          const [req] = await rx.waitFor(1);
          assert.equal(req.body, '{"price":0.00,"big":12345678901234567890,"exp":1E+2,"neg":-0,"s":"caf\\u00e9 \\/"}');
          assert.equal(req.method, "POST");
          assert.equal(req.headers["content-type"], "application/json");
          assert.match(String(req.headers["user-agent"]), /^Tocsin\/\d+\.\d+\.\d+/);
          assert.equal(req.headers["webhook-id"], r.body.id);
          const wh = new Webhook(SECRET);
          assert.doesNotThrow(() => wh.verify(req.body, req.headers as Record<string, string>));
          const got = await fetch(`${url}/v1/tenants/acme/events/${r.body.id}`, { headers: { authorization: `Bearer ${apiKey}` } });
          assert.match(await got.text(), /"payload":\{"price":0\.00,"big":12345678901234567890,"exp":1E\+2/, "the API shows the payload's source text too");
        });
      } finally {
        await rx.close();
      }
    });

    it("retries after a 500, signing each attempt afresh so the official verifier accepts both", async () => {
      const rx = await startReceiver((_r, n) => ({ status: n === 1 ? 500 : 200 }));
      try {
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "1100ms" }, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook`, secret: SECRET }]);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { x: 1 } });
          const [first, second] = await rx.waitFor(2, 10_000);
          const wh = new Webhook(SECRET);
          for (const req of [first, second]) assert.doesNotThrow(() => wh.verify(req.body, req.headers as Record<string, string>));
          assert.equal(first.headers["webhook-id"], second.headers["webhook-id"], "webhook-id is stable across retries");
          assert.notEqual(first.headers["webhook-timestamp"], second.headers["webhook-timestamp"], "the timestamp is fresh on each attempt");
          assert.notEqual(first.headers["webhook-signature"], second.headers["webhook-signature"]);
          const list = await eventually(async () => {
            const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}`);
            return l.body.data[0]?.status === "succeeded" ? l.body.data : null;
          });
          const d = await api<{ attempts: Attempt[]; attemptCount: number }>("GET", `/v1/tenants/acme/deliveries/${list[0].id}`);
          assert.equal(d.body.attemptCount, 2);
          assert.deepEqual(
            d.body.attempts.map((a) => [a.attemptNo, a.statusCode, a.errorClass, a.willRetry]),
            [
              [1, 500, "http_status", true],
              [2, 200, null, false],
            ],
          );
        });
      } finally {
        await rx.close();
      }
    });

    it("retries after the connection is refused and delivers once the receiver is up", async () => {
      const port = await freePort();
      await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "300ms,300ms,300ms,300ms,300ms,300ms" }, async ({ api }) => {
        await setupTenant(api, "acme", [{ url: `http://127.0.0.1:${port}/hook` }]);
        const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
        const dlv = await eventually(async () => {
          const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}`);
          return l.body.data[0]?.attemptCount >= 1 ? l.body.data[0] : null;
        });
        const rx = await startReceiver(() => ({}), port);
        try {
          await rx.waitFor(1, 10_000);
          const d = await eventually(async () => {
            const x = await api<{ status: string; attempts: Attempt[] }>("GET", `/v1/tenants/acme/deliveries/${dlv.id}`);
            return x.body.status === "succeeded" ? x.body : null;
          });
          assert.equal(d.attempts[0].errorClass, "connect");
          assert.equal(d.attempts[0].statusCode, null);
          assert.equal(d.attempts.at(-1)?.statusCode, 200);
        } finally {
          await rx.close();
        }
      });
    });

    it("does not follow redirects: a 3xx is a failed attempt that is retried", async () => {
      const target = await startReceiver();
      const rx = await startReceiver((_r, n) => (n === 1 ? { status: 302, headers: { location: `${target.url}/elsewhere` } } : {}));
      try {
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "100ms" }, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          await rx.waitFor(2);
          const d = await eventually(async () => {
            const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}&status=succeeded`);
            return l.body.data[0];
          });
          const full = await api<{ attempts: Attempt[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`);
          assert.deepEqual(
            full.body.attempts.map((a) => [a.statusCode, a.errorClass]),
            [
              [302, "http_status"],
              [200, null],
            ],
          );
          assert.equal(target.requests.length, 0, "the Location was not followed");
        });
      } finally {
        await rx.close();
        await target.close();
      }
    });

    it("honours Retry-After on 429 and 503", async () => {
      const rx = await startReceiver((_r, n) =>
        n === 1 ? { status: 429, headers: { "retry-after": "2" } } : n === 2 ? { status: 503, headers: { "retry-after": "1" } } : {},
      );
      try {
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "100ms,100ms,100ms" }, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          const [a, b, c] = await rx.waitFor(3, 10_000);
          assert.ok(b.at - a.at >= 1900, `second attempt came ${b.at - a.at} ms after a 429 with Retry-After: 2`);
          assert.ok(c.at - b.at >= 900, `third attempt came ${c.at - b.at} ms after a 503 with Retry-After: 1`);
        });
      } finally {
        await rx.close();
      }
    });

    it("records timeout_request when the receiver does not answer in time, then retries", async () => {
      const rx = await startReceiver((_r, n) => (n === 1 ? { hang: true } : {}));
      try {
        await withBackendServer(backend, { TOCSIN_REQUEST_TIMEOUT: "300ms", TOCSIN_RETRY_SCHEDULE: "100ms" }, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          await rx.waitFor(2, 10_000);
          const d = await eventually(async () => {
            const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}&status=succeeded`);
            return l.body.data[0];
          });
          const full = await api<{ attempts: Attempt[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`);
          assert.equal(full.body.attempts[0].errorClass, "timeout_request");
        });
      } finally {
        await rx.close();
      }
    });

    it("disables the endpoint after 410 Gone; its later events wait until it is enabled again", async () => {
      let gone = true;
      const rx = await startReceiver(() => ({ status: gone ? 410 : 200 }));
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          const [ep] = await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          await rx.waitFor(1);
          const e = await eventually(async () => {
            const x = await api<{ enabled: boolean; disabledReason: string; status: string }>("GET", `/v1/tenants/acme/endpoints/${ep}`);
            return x.body.enabled === false ? x.body : null;
          });
          assert.equal(e.disabledReason, "gone");
          assert.equal(e.status, "disabled");
          const d = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}`);
          assert.equal(d.body.data[0].status, "failed");
          const later = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          assert.equal(later.body.deliveries, 0, "a disabled endpoint gets no new deliveries");
          gone = false;
          const patched = await api<{ enabled: boolean; disabledReason: string | null }>("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { enabled: true });
          assert.equal(patched.body.enabled, true);
          assert.equal(patched.body.disabledReason, null);
          const third = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          assert.equal(third.body.deliveries, 1);
          await rx.waitFor(2);
        });
      } finally {
        await rx.close();
      }
    });

    it("keeps a disabled endpoint's pending deliveries waiting and resumes them when it is enabled", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          const [ep] = await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          // A retry made pending while disabled, then enabled: use manual disable after ingest.
          await api("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { enabled: false });
          await api("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { enabled: true });
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 1 } });
          assert.equal(r.body.deliveries, 1);
          await rx.waitFor(1);
          const dis = await api<{ disabledReason: string }>("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { enabled: false });
          assert.equal(dis.body.disabledReason, "manual");
          assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 2 } })).body.deliveries, 0);
        });
      } finally {
        await rx.close();
      }
    });

    it("marks a delivery failed when the schedule is exhausted, and a manual retry delivers it", async () => {
      let ok = false;
      const rx = await startReceiver(() => ({ status: ok ? 204 : 500 }));
      try {
        await withBackendServer(backend, { TOCSIN_RETRY_SCHEDULE: "100ms,100ms" }, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          const failed = await eventually(async () => {
            const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}&status=failed`);
            return l.body.data[0];
          });
          assert.equal(failed.attemptCount, 3);
          assert.equal(rx.requests.length, 3);
          const notFailed = await api("POST", `/v1/tenants/acme/deliveries/${failed.id}/retry`);
          assert.equal(notFailed.status, 202);
          ok = true;
          await rx.waitFor(4);
          const done = await eventually(async () => {
            const x = await api<{ status: string; attempts: Attempt[] }>("GET", `/v1/tenants/acme/deliveries/${failed.id}`);
            return x.body.status === "succeeded" ? x.body : null;
          });
          assert.equal(done.attempts.length, 4);
          const again = await api<{ code: string }>("POST", `/v1/tenants/acme/deliveries/${failed.id}/retry`);
          assert.equal(again.status, 409);
          assert.equal(again.body.code, "conflict");
        });
      } finally {
        await rx.close();
      }
    });

    it("returns the original event for a repeated idempotency key instead of delivering twice", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ api }) => {
          await setupTenant(api, "acme", [{ url: `${rx.url}/hook` }]);
          const a = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 1 }, idempotencyKey: "k1" });
          const b = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 1 }, idempotencyKey: "k1" });
          assert.equal(a.status, 202);
          assert.equal(b.status, 200);
          assert.equal(b.body.id, a.body.id);
          assert.equal(b.body.deliveries, 1);
          const batch = await api<{ events: { id: string }[] }>("POST", "/v1/tenants/acme/events", [
            { type: "a.b", payload: { n: 2 }, idempotencyKey: "k2" },
            { type: "a.b", payload: { n: 2 }, idempotencyKey: "k2" },
            { type: "a.b", payload: { n: 3 }, idempotencyKey: "k1" },
          ]);
          assert.equal(batch.status, 202);
          assert.equal(batch.body.events[0].id, batch.body.events[1].id);
          assert.equal(batch.body.events[2].id, a.body.id);
          await rx.waitFor(2);
          await new Promise((r) => setTimeout(r, 300));
          assert.equal(rx.requests.length, 2);
        });
      } finally {
        await rx.close();
      }
    });

    it("does not let a hanging endpoint delay a healthy one", async () => {
      const slow = await startReceiver(() => ({ hang: true }));
      const fast = await startReceiver();
      // The hanging requests time out after this; the healthy endpoint must be done before the first does.
      const timeoutMs = 10_000;
      try {
        await withBackendServer(backend, { TOCSIN_REQUEST_TIMEOUT: `${timeoutMs}ms`, TOCSIN_ENDPOINT_CONCURRENCY: "4" }, async ({ api }) => {
          try {
            await setupTenant(api, "acme", [{ url: `${slow.url}/slow` }, { url: `${fast.url}/fast` }]);
            const events = Array.from({ length: 100 }, (_, i) => ({ type: "a.b", payload: { i } }));
            const r = await api("POST", "/v1/tenants/acme/events", events);
            assert.equal(r.status, 202);
            const got = await fast.waitFor(100, 2 * timeoutMs);
            await slow.waitFor(1, 1_000);
            const healthyDone = Math.max(...got.map((x) => x.at));
            const firstTimeout = Math.min(...slow.requests.map((x) => x.at)) + timeoutMs;
            assert.ok(
              healthyDone < firstTimeout,
              `the healthy endpoint got its 100th ${healthyDone - firstTimeout} ms after the first hanging request timed out`,
            );
            assert.ok(slow.requests.length <= 4, `the hanging endpoint holds at most its concurrency cap (got ${slow.requests.length})`);
          } finally {
            // The hanging requests fail now, so the server stops without waiting for their timeout.
            await slow.close();
          }
        });
      } finally {
        await slow.close();
        await fast.close();
      }
    });

    it("refuses loopback destinations unless private networks are allowed", async () => {
      const rx = await startReceiver();
      try {
        await withBackendServer(backend, { TOCSIN_ALLOW_PRIVATE_NETWORKS: "false" }, async ({ api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          const lit = await api<{ code: string; errors: { path: string }[] }>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/x`, eventTypes: ["*"] });
          assert.equal(lit.status, 400);
          assert.equal(lit.body.errors[0].path, "/url");
          const byName = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `http://localhost:${rx.port}/x`, eventTypes: ["*"] });
          assert.equal(byName.status, 201);
          const r = await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          const d = await eventually(async () => {
            const l = await api<{ data: Delivery[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${r.body.id}`);
            return l.body.data[0]?.attemptCount ? l.body.data[0] : null;
          });
          const full = await api<{ attempts: Attempt[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`);
          assert.equal(full.body.attempts[0].errorClass, "blocked_destination");
          assert.equal(rx.requests.length, 0);
        });
      } finally {
        await rx.close();
      }
    });
  });
}
