import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../support/backends.ts";
import { withReceiver } from "../support/receiver.ts";
import { eventually, withBackendServer, withServer } from "../support/server.ts";
import { type Ep, type Problem, tenantWith } from "./endpoint-helpers.ts";

// Every endpoint setting end to end: the real server, real loopback receivers, independent verifiers.
// Request shape, severity filter, validation, test calls, timeouts, payload shaping and lifecycle;
// signing and secret rotation are in endpoint-signing.test.ts.
const BACKENDS = await testBackends(); // before the first describe(): see test/store/query-plans.test.ts

describe("endpoint settings: request shape", () => {
  it("sends PUT when asked, POST by default, with custom headers (content-type may be overridden)", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          await tenantWith(api, "acme", {
            url: `${rx.url}/put`,
            method: "PUT",
            headers: { "X-Team": "soc", "Content-Type": "application/vnd.acme+json", "X-Empty": "" },
          });
          await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/post`, eventTypes: ["*"] });
          assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: { n: 1 } })).status, 202);
          const reqs = await rx.waitFor(2);
          const put = reqs.find((r) => r.path === "/put")!;
          const post = reqs.find((r) => r.path === "/post")!;
          assert.equal(put.method, "PUT");
          assert.equal(put.headers["x-team"], "soc");
          assert.equal(put.headers["x-empty"], "");
          assert.equal(put.headers["content-type"], "application/vnd.acme+json");
          assert.equal(put.body, '{"n":1}');
          assert.equal(post.method, "POST");
          assert.equal(post.headers["content-type"], "application/json");
          assert.equal(post.headers["x-team"], undefined);
        });
      },
    );
  });

  it("refuses headers Tocsin or HTTP owns, and names that are not tokens or values with CR/LF, naming the header", async () => {
    await withServer({}, async ({ api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const cases: [Record<string, unknown>, string][] = [
        [{ headers: { Host: "evil.example" } }, "/headers/Host"],
        [{ headers: { "content-length": "5" } }, "/headers/content-length"],
        [{ headers: { "Transfer-Encoding": "chunked" } }, "/headers/Transfer-Encoding"],
        [{ headers: { Connection: "close" } }, "/headers/Connection"],
        [{ headers: { "Webhook-Signature": "v1,forged" } }, "/headers/Webhook-Signature"],
        [{ headers: { "webhook-id": "x" } }, "/headers/webhook-id"],
        [{ headers: { "X-Ok": "a\r\nX-Injected: 1" } }, "/headers/X-Ok"],
        [{ headers: { "X-Ok": "a\nb" } }, "/headers/X-Ok"],
        [{ headers: { "Bad Name": "v" } }, "/headers/Bad Name"],
        [{ headers: { "X-Ünï": "v" } }, "/headers/X-Ünï"],
        [{ headers: { Authorization: "Basic x" }, auth: { type: "basic", username: "u", password: "p" } }, "/headers/Authorization"],
        [{ headers: { "X-Sig": "x" }, signing: { scheme: "hmac-sha256", header: "X-Sig" } }, "/headers/X-Sig"],
        [{ headers: { "x-a": "1", "X-A": "2" } }, "/headers/X-A"],
        [{ signing: { scheme: "hmac-sha256", header: "webhook-signature" } }, "/signing/header"],
        [{ signing: { scheme: "hmac-sha256" } }, "/signing/header"],
        [{ auth: { type: "basic", username: "u" } }, "/auth/password"],
        [{ auth: { type: "bearer" } }, "/auth/token"],
        [{ auth: { type: "basic", username: "a:b", password: "p" } }, "/auth/username"],
        [{ timeouts: { connectMs: 50 } }, "/timeouts/connectMs"],
        [{ timeouts: { requestMs: 10_000_000 } }, "/timeouts/requestMs"],
        [{ minSeverity: "urgent" }, "/minSeverity"],
        [{ method: "PATCH" }, "/method"],
        [{ signing: { scheme: "hmac-sha256", header: "x-sig" }, secret: "short" }, "/secret"],
        [{ secret: "not-a-whsec-secret-but-long-enough" }, "/secret"],
      ];
      for (const [extra, path] of cases) {
        const r = await api<Problem>("POST", "/v1/tenants/acme/endpoints", { url: "http://127.0.0.1:9/x", eventTypes: ["*"], ...extra });
        assert.equal(r.status, 400, `${JSON.stringify(extra)} -> ${r.status} ${JSON.stringify(r.body)}`);
        assert.match(String(r.headers.get("content-type")), /^application\/problem\+json/);
        assert.equal(r.body.errors[0].path, path, `${JSON.stringify(extra)}: ${r.body.detail}`);
      }
      const list = await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/endpoints");
      assert.equal(list.body.data.length, 0, "nothing was saved");
    });
  });

  it("sends basic and bearer credentials the receiver checks, and never returns them", async () => {
    const basic = `Basic ${Buffer.from("netography:s3cr3t pass").toString("base64")}`;
    await withReceiver(
      (r) =>
        r.path === "/basic" ? (r.headers.authorization === basic ? {} : { status: 401 }) : r.headers.authorization === "Bearer tok-123" ? {} : { status: 401 },
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/basic`, auth: { type: "basic", username: "netography", password: "s3cr3t pass" } });
          assert.deepEqual(ep.auth, { type: "basic", username: "netography", passwordSet: true });
          const b = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/bearer`,
            eventTypes: ["*"],
            auth: { type: "bearer", token: "tok-123" },
          });
          assert.deepEqual(b.body.auth, { type: "bearer", tokenSet: true });
          for (const doc of [ep, b.body, (await api("GET", `/v1/tenants/acme/endpoints/${ep.id}`)).body]) {
            assert.doesNotMatch(JSON.stringify(doc), /s3cr3t|tok-123/);
          }
          await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          const got = await rx.waitFor(2);
          assert.deepEqual(got.map((r) => r.path).sort(), ["/basic", "/bearer"]);
          const dl = await eventually(async () => {
            const l = await api<{ data: { status: string }[] }>("GET", "/v1/tenants/acme/deliveries");
            return l.body.data.every((x) => x.status === "succeeded") && l.body.data.length === 2 ? l.body.data : null;
          });
          assert.equal(dl.length, 2);
        });
      },
    );
  });

  it("PATCH merges settings: a new username keeps the stored password; switching to bearer drops it", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", {
            url: `${rx.url}/h`,
            auth: { type: "basic", username: "u1", password: "pw-1" },
            headers: { "X-A": "1", "X-B": "2" },
          });
          const p1 = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { auth: { username: "u2" }, headers: { "X-A": null, "X-C": "3" } });
          assert.equal(p1.status, 200, JSON.stringify(p1.body));
          assert.deepEqual(p1.body.auth, { type: "basic", username: "u2", passwordSet: true });
          assert.deepEqual(p1.body.headers, { "X-B": "2", "X-C": "3" });
          await api("POST", "/v1/tenants/acme/events", { type: "a.b", payload: {} });
          const [r1] = await rx.waitFor(1);
          assert.equal(r1.headers.authorization, `Basic ${Buffer.from("u2:pw-1").toString("base64")}`);
          assert.equal(r1.headers["x-c"], "3");
          assert.equal(r1.headers["x-a"], undefined);
          const p2 = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { auth: { type: "bearer", token: "t-2" } });
          assert.deepEqual(p2.body.auth, { type: "bearer", tokenSet: true });
          const p3 = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { auth: null });
          assert.deepEqual(p3.body.auth, { type: "none" });
          const p4 = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { auth: { type: "basic" } });
          assert.equal(p4.status, 400);
          assert.equal(p4.body.errors[0].path, "/auth/username");
          // Header names compare case-insensitively in a patch too: x-b replaces X-B, x-c: null removes X-C.
          const p5 = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { headers: { "x-b": "20", "x-c": null } });
          assert.equal(p5.status, 200, JSON.stringify(p5.body));
          assert.deepEqual(p5.body.headers, { "x-b": "20" });
          // hmac-sha256's fields with another scheme are refused, not dropped.
          const p6 = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { header: "x-sig" } });
          assert.equal(p6.status, 400);
          assert.equal(p6.body.errors[0].path, "/signing/header");
        });
      },
    );
  });
});

for (const backend of BACKENDS) {
  describe(`${backend}: severity filter`, () => {
    it("passes events at or above minSeverity; events without severity reach only endpoints without one", async () => {
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            await tenantWith(api, "acme", { url: `${rx.url}/medium`, minSeverity: "medium" });
            await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/all`, eventTypes: ["*"] });
            await api("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/critical-leaks`, eventTypes: ["leak"], minSeverity: "critical" });
            const sent: [string, string | undefined, number][] = [
              ["leak", "info", 1],
              ["leak", "low", 1],
              ["leak", "medium", 2],
              ["leak", "high", 2],
              ["leak", "critical", 3],
              ["leak", undefined, 1],
              ["scan", "critical", 2],
            ];
            for (const [type, severity, n] of sent) {
              const r = await api<{ deliveries: number }>("POST", "/v1/tenants/acme/events", {
                type,
                ...(severity ? { severity } : {}),
                payload: { severity: severity ?? null, type },
              });
              assert.equal(r.status, 202);
              assert.equal(r.body.deliveries, n, `${type}/${severity}`);
            }
            const bad = await api<Problem>("POST", "/v1/tenants/acme/events", { type: "leak", severity: "urgent", payload: {} });
            assert.equal(bad.status, 400);
            assert.equal(bad.body.errors[0].path, "/severity");
            await rx.waitFor(12);
            await new Promise((r) => setTimeout(r, 200));
            const by = (p: string) =>
              rx.requests
                .filter((r) => r.path === p)
                .map((r) => (JSON.parse(r.body) as { severity: string | null }).severity)
                .sort();
            assert.deepEqual(by("/medium"), ["critical", "critical", "high", "medium"]);
            assert.deepEqual(by("/critical-leaks"), ["critical"]);
            assert.equal(by("/all").length, 7);
            const evs = await api<{ data: { severity: string | null }[] }>("GET", "/v1/tenants/acme/events?limit=10");
            assert.deepEqual(evs.body.data.map((e) => e.severity).sort(), ["critical", "critical", "high", "info", "low", "medium", null].sort());
          });
        },
      );
    });
  });
}

describe("endpoint settings: validation", () => {
  it("token-path: deliveries wait until <url>/<token> answers 2xx; a failure is shown, fixed and retried", async () => {
    let accept = false;
    await withReceiver(
      (r) => (/^\/hook\/[0-9a-f]{32}$/.test(r.path) ? { status: accept ? 204 : 404 } : {}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/hook`, validation: { mode: "token-path" } });
          assert.equal(ep.status, "pending_validation");
          const failed = await eventually(async () => {
            const e = (await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep.id}`)).body;
            return e.validation.status === "failed" ? e : null;
          });
          assert.equal(failed.status, "validation_failed");
          assert.match(failed.validation.error!, /HTTP 404/);
          const first = rx.requests[0];
          assert.equal(first.method, "POST");
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 1 } });
          await new Promise((r) => setTimeout(r, 300));
          assert.equal(rx.requests.filter((r) => r.path === "/hook").length, 0, "no delivery before validation passes");
          accept = true;
          const v = await api<{ endpoint: Ep; result: { response: { status: number } } }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/validate`);
          assert.equal(v.status, 200, JSON.stringify(v.body));
          assert.equal(v.body.endpoint.status, "active");
          assert.equal(v.body.result.response.status, 204);
          const [d] = await rx.waitFor(1, 10_000, (r) => r.path === "/hook");
          assert.equal(d.body, '{"n":1}');
          // A new URL validates again.
          const p = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { url: `${rx.url}/hook2` });
          assert.equal(p.body.status, "pending_validation");
          await rx.waitFor(1, 10_000, (r) => r.path.startsWith("/hook2/"));
          await eventually(async () => (await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep.id}`)).body.status === "active");
        });
      },
    );
  });

  it("challenge: the signed challenge must be echoed, as JSON or bare", async () => {
    let mode: "json" | "bare" | "wrong" = "wrong";
    await withReceiver(
      (r) => {
        const { challenge } = JSON.parse(r.body) as { challenge: string };
        return mode === "json"
          ? { body: JSON.stringify({ challenge }), headers: { "content-type": "application/json" } }
          : mode === "bare"
            ? { body: challenge }
            : { body: "ok" };
      },
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/c`, validation: { mode: "challenge" }, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
          const failed = await eventually(async () => {
            const e = (await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep.id}`)).body;
            return e.validation.status === "failed" ? e : null;
          });
          assert.match(failed.validation.error!, /challenge/);
          const [req] = rx.requests;
          assert.equal((JSON.parse(req.body) as { type: string }).type, "tocsin.endpoint.challenge");
          new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(req.body, req.headers as Record<string, string>);
          for (const m of ["json", "bare"] as const) {
            mode = m;
            const v = await api<{ endpoint: Ep }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/validate`);
            assert.equal(v.body.endpoint.status, "active", m);
          }
          const none = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { validation: { mode: "none" } });
          assert.equal(none.body.validation.status, "none");
          assert.equal((await api("POST", `/v1/tenants/acme/endpoints/${ep.id}/validate`)).status, 409);
        });
      },
    );
  });
});

describe("endpoint settings: test call", () => {
  it("sends the event type's example through the real settings, reports request and response, queues nothing", async () => {
    await withReceiver(
      (r) => ({ status: 202, body: `got ${r.method}`, headers: { "x-rx": "1" } }),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          await api("POST", "/v1/event-types", { name: "alert.fired", example: { alert_id: "a-1", severity: "high", score: 0.95 } });
          const ep = await tenantWith(api, "acme", {
            url: `${rx.url}/t`,
            method: "PUT",
            auth: { type: "bearer", token: "very-secret-token" },
            headers: { "X-Team": "soc" },
          });
          const r = await api<{
            request: { method: string; url: string; headers: Record<string, string>; body: string };
            response: { status: number; headers: Record<string, string>; body: string };
            error: null;
            durationMs: number;
          }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, { eventType: "alert.fired" });
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(r.body.request.method, "PUT");
          assert.equal(r.body.request.url, `${rx.url}/t`);
          assert.equal(r.body.request.headers.authorization, "Bearer [redacted]");
          assert.equal(r.body.request.headers["X-Team"], "soc");
          assert.equal(r.body.request.body, '{"alert_id":"a-1","severity":"high","score":0.95}');
          assert.deepEqual([r.body.response.status, r.body.response.body, r.body.response.headers["x-rx"]], [202, "got PUT", "1"]);
          assert.equal(r.body.error, null);
          assert.equal(typeof r.body.durationMs, "number");
          const [seen] = rx.requests;
          assert.equal(seen.headers.authorization, "Bearer very-secret-token");
          assert.equal(seen.body, r.body.request.body);
          new Webhook((await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body.secret).verify(
            seen.body,
            seen.headers as Record<string, string>,
          );
          const builtin = await api<{ request: { body: string } }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, {});
          assert.equal((JSON.parse(builtin.body.request.body) as { type: string }).type, "tocsin.test");
          // An action needs no body: none at all, or an empty one, is the same as {}.
          assert.equal((await api("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`)).status, 200);
          assert.equal((await api("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, "", { "content-type": "application/json" })).status, 200);
          assert.equal((await api("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, { eventType: "no.such" })).status, 404);
          const dl = await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/deliveries");
          assert.equal(dl.body.data.length, 0, "a test call is not a delivery");
        });
      },
    );
  });

  it("reports a request timeout as timeout_request, within the endpoint's requestMs", async () => {
    await withReceiver(
      () => ({ hang: true }),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/slow`, timeouts: { requestMs: 300 } });
          assert.deepEqual(ep.timeouts, { connectMs: 20_000, requestMs: 300 });
          const r = await api<{ response: null; error: { class: string }; durationMs: number }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, {});
          assert.equal(r.body.response, null);
          assert.equal(r.body.error.class, "timeout_request");
          assert.ok(r.body.durationMs >= 250 && r.body.durationMs < 5000, `${r.body.durationMs}`);
          // The same through the queue: the attempt records the class.
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
          const att = await eventually(async () => {
            const l = await api<{ data: { id: string; attemptCount: number }[] }>("GET", "/v1/tenants/acme/deliveries");
            const d = l.body.data[0];
            if (!d || d.attemptCount < 1) return null;
            return (await api<{ attempts: { errorClass: string }[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`)).body.attempts[0];
          });
          assert.equal(att.errorClass, "timeout_request");
        });
      },
    );
  });
});

describe("endpoint timeouts: a trickling response body", () => {
  it("stops reading once connect + request time is spent, even while chunks keep arriving", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const t = setInterval(() => res.write("."), 80);
      res.on("close", () => clearInterval(t));
      setTimeout(() => {
        clearInterval(t);
        res.end();
      }, 10_000).unref();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      await withServer({}, async ({ api }) => {
        const port = (server.address() as AddressInfo).port;
        const ep = await tenantWith(api, "acme", { url: `http://127.0.0.1:${port}/t`, timeouts: { connectMs: 200, requestMs: 300 } });
        const r = await api<{ response: null; error: { class: string; message: string }; durationMs: number }>(
          "POST",
          `/v1/tenants/acme/endpoints/${ep.id}/test`,
          {},
        );
        assert.equal(r.body.response, null);
        assert.equal(r.body.error.class, "timeout_request", JSON.stringify(r.body.error));
        assert.ok(r.body.durationMs >= 450 && r.body.durationMs < 3000, `${r.body.durationMs} ms`);
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("payload envelopes", () => {
  it("sends raw, standard, array and ndjson bodies with exact payload bytes, signed over the shaped body; preview shows the same", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          const ids: Record<string, string> = {};
          for (const envelope of ["raw", "standard", "array", "ndjson"]) {
            const r = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
              url: `${rx.url}/${envelope}`,
              eventTypes: ["*"],
              format: { envelope },
              secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            });
            assert.equal(r.status, 201, JSON.stringify(r.body));
            assert.deepEqual(r.body.format, { envelope, transform: null });
            ids[envelope] = r.body.id;
          }
          const bad = await api<Problem>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/x`, eventTypes: ["*"], format: { envelope: "xml" } });
          assert.equal(bad.status, 400);
          assert.equal(bad.body.errors[0].path, "/format/envelope");
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", '{"type":"hit","payload":{"score": 9.50, "n": 12345678901234567890}}');
          const got = await rx.waitFor(4);
          const by = (p: string) => got.find((r) => r.path === `/${p}`)!;
          const payload = '{"score":9.50,"n":12345678901234567890}';
          assert.equal(by("raw").body, payload);
          assert.equal(by("array").body, `[${payload}]`);
          assert.equal(by("ndjson").body, `${payload}\n`);
          assert.equal(by("ndjson").headers["content-type"], "application/x-ndjson");
          const std = JSON.parse(by("standard").body) as { type: string; timestamp: string; data: unknown };
          assert.equal(std.type, "hit");
          assert.match(by("standard").body, /^\{"type":"hit","timestamp":"\d{4}-\d\d-\d\dT[\d:.]+Z","data":\{"score":9\.50,"n":12345678901234567890\}\}$/);
          const evDoc = await api<{ createdAt: string }>("GET", `/v1/tenants/acme/events/${ev.body.id}`);
          assert.equal(std.timestamp, evDoc.body.createdAt);
          for (const r of got) new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(r.body, r.headers as Record<string, string>);
          // Preview renders the same shaping, keeping number text, without sending anything.
          const before = rx.requests.length;
          const pv = await api<{ contentType: string; body: string }>("POST", `/v1/tenants/acme/endpoints/${ids.array}/preview`, '{"payload":{"price": 0.00}}');
          assert.equal(pv.status, 200, JSON.stringify(pv.body));
          assert.deepEqual(pv.body, { contentType: "application/json", body: '[{"price":0.00}]', filtered: false, reason: null });
          const nd = await api<{ contentType: string; body: string }>("POST", `/v1/tenants/acme/endpoints/${ids.ndjson}/preview`);
          assert.equal(nd.body.contentType, "application/x-ndjson");
          assert.match(nd.body.body, /^\{"type":"tocsin\.test",.*\}\n$/);
          assert.equal(rx.requests.length, before);
          // The test call shapes its body too.
          const t = await api<{ request: { body: string } }>("POST", `/v1/tenants/acme/endpoints/${ids.array}/test`);
          assert.match(t.body.request.body, /^\[\{"type":"tocsin\.test"/);
        });
      },
    );
  });
});

describe("payload transform (custom field names)", () => {
  it("renames fields with JSONata before the envelope; bad expressions are a 400 with the position; a failing one fails only its attempt", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({ TOCSIN_RETRY_SCHEDULE: "1h" }, async ({ api }) => {
          await api("POST", "/v1/tenants", { id: "acme" });
          const ep = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/netography`,
            eventTypes: ["*"],
            format: {
              envelope: "array",
              transform: '{"event_id": id, "kind": type, "sev": severity, "org": tenant, "src_ip": payload.srcip, "score": payload.score}',
            },
          });
          assert.equal(ep.status, 201, JSON.stringify(ep.body));
          const bad = await api<Problem>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/x`,
            eventTypes: ["*"],
            format: { transform: '{"a": payload.' },
          });
          assert.equal(bad.status, 400);
          assert.equal(bad.body.errors[0].path, "/format/transform");
          assert.match(bad.body.errors[0].message, /position \d+/);
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", {
            type: "ddos",
            severity: "high",
            payload: { srcip: "198.51.100.7", score: 9.5 },
          });
          const [got] = await rx.waitFor(1);
          assert.deepEqual(JSON.parse(got.body), [{ event_id: ev.body.id, kind: "ddos", sev: "high", org: "acme", src_ip: "198.51.100.7", score: 9.5 }]);
          // Preview shows the same shaping for a given payload.
          const pv = await api<{ body: string }>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/preview`, {
            eventType: "ddos",
            payload: { srcip: "203.0.113.9", score: 1 },
          });
          const [shown] = JSON.parse(pv.body.body) as Record<string, unknown>[];
          assert.match(String(shown.event_id), /^msg_/);
          assert.deepEqual({ ...shown, event_id: "x" }, { event_id: "x", kind: "ddos", sev: null, org: "acme", src_ip: "203.0.113.9", score: 1 });
          // A transform that fails at delivery time (here: an error raised on purpose) fails that attempt, classed transform.
          await api("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { format: { transform: 'payload.ok ? payload : $error("missing ok")' } });
          const failing = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "ddos", payload: { ok: false } });
          const att = await eventually(async () => {
            const l = await api<{ data: { id: string; attemptCount: number }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${failing.body.id}`);
            const d = l.body.data[0];
            return d && d.attemptCount > 0
              ? (await api<{ attempts: { errorClass: string; errorMessage: string }[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`)).body.attempts[0]
              : null;
          });
          assert.equal(att.errorClass, "transform");
          assert.match(att.errorMessage, /missing ok/);
          assert.equal(rx.requests.length, 1, "nothing was sent for the failing transform");
          const pvBad = await api<Problem>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/preview`, { payload: {} });
          assert.equal(pvBad.status, 400);
          assert.equal(pvBad.body.errors[0].path, "/format/transform");
          // Runaway expressions stop at the time limit.
          await api("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, {
            format: { transform: "( $f := function($n) { $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(40) )" },
          });
          const slow = await api<Problem>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/preview`, { payload: {} });
          assert.equal(slow.status, 400, JSON.stringify(slow.body));
          assert.match(slow.body.errors[0].message, /ran longer than|nested deeper/);
        });
      },
    );
  });
});

describe("endpoint lifecycle", () => {
  it("pause keeps pending deliveries waiting and fans out nothing new; resume sends them; delete cancels and keeps history", async () => {
    await withReceiver(
      (_r, n) => ({ status: n === 1 ? 500 : 200 }),
      async (rx) => {
        await withServer({ TOCSIN_RETRY_SCHEDULE: "400ms,400ms,400ms" }, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/h` });
          const first = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 1 } });
          await rx.waitFor(1);
          const paused = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { enabled: false });
          assert.equal(paused.body.status, "disabled");
          assert.equal((await api<{ deliveries: number }>("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 2 } })).body.deliveries, 0);
          await new Promise((r) => setTimeout(r, 1000));
          assert.equal(rx.requests.length, 1, "the retry waits while the endpoint is paused");
          const waiting = await api<{ data: { status: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${first.body.id}`);
          assert.equal(waiting.body.data[0].status, "pending");
          await api("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { enabled: true });
          const [, retried] = await rx.waitFor(2);
          assert.equal(retried.body, '{"n":1}');

          // Delete keeps the history for the retention period.
          await eventually(
            async () =>
              (await api<{ data: { status: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${first.body.id}`)).body.data[0]?.status === "succeeded",
          );
          assert.equal((await api("DELETE", `/v1/tenants/acme/endpoints/${ep.id}`)).status, 204);
          const history = await api<{ data: { id: string; status: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${first.body.id}`);
          assert.equal(history.body.data[0].status, "succeeded", "finished history is kept");
          const detail = await api<{ attempts: unknown[] }>("GET", `/v1/tenants/acme/deliveries/${history.body.data[0].id}`);
          assert.equal(detail.body.attempts.length, 2);
        });
      },
    );
  });

  it("delete cancels deliveries that were still pending", async () => {
    await withReceiver(
      () => ({ status: 503 }),
      async (rx) => {
        await withServer({ TOCSIN_RETRY_SCHEDULE: "1h" }, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/h` });
          const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
          await rx.waitFor(1);
          await eventually(
            async () => (await api<{ data: { attemptCount: number }[] }>("GET", "/v1/tenants/acme/deliveries")).body.data[0]?.attemptCount === 1,
          );
          assert.equal((await api("DELETE", `/v1/tenants/acme/endpoints/${ep.id}`)).status, 204);
          const l = await api<{ data: { status: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${ev.body.id}`);
          assert.equal(l.body.data[0].status, "cancelled");
        });
      },
    );
  });
});
