import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { eventually, withBackendServer } from "../support/server.ts";
import { testBackends } from "../support/backends.ts";
import { type Fixtures, createFixtures } from "../support/fixtures.ts";
import { spellingsOf } from "../support/spellings.ts";

// Every route of the server's own route table, called under every spelling a client or a proxy in
// front might send, by callers who may not (no key, another tenant's key) and by a portal session.
// Whether a request needs a key is decided on the route the router matched, so each spelling must
// answer what the canonical spelling answers for that caller, or 400/404 — never more.

/** A request path as written on the wire: node:http sends it as given (fetch would fold `..`). */
function send(base: URL, method: string, path: string, key: string | null, body: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on("error", reject);
    req.end(payload ?? undefined);
  });
}

type Access = { kind: "public" } | { kind: "admin" } | { kind: "any" } | { kind: "scope"; scope: string };

/** What a `:param` of a route stands for, from the segment before it. */
function valueFor(url: string, param: string, before: string, f: Fixtures, tenant: string): string {
  if (param === "tenant") return tenant;
  if (param === "name") return f.eventType;
  if (param === "fingerprint") return f.alert;
  const byCollection: Record<string, string> = {
    endpoints: f.endpoint,
    events: f.event,
    deliveries: f.delivery,
    batches: f.batch,
    replays: f.replay,
    silences: f.silence,
    keys: url.startsWith("/v1/tenants/") ? f.tenantKey : f.key,
  };
  const v = byCollection[before];
  assert.ok(v, `no fixture for :${param} after ${before} in ${url}: add one`);
  return v;
}

/** A body the route accepts, so that a caller who gets through would see a 2xx, not a 400. */
function bodyFor(method: string, url: string): unknown {
  if (method === "GET" || method === "HEAD" || method === "DELETE") return undefined;
  const bodies: Record<string, unknown> = {
    "POST /v1/tenants": { id: `spelled-${Math.random().toString(36).slice(2, 10)}` },
    "PATCH /v1/tenants/:tenant": { name: "renamed" },
    "POST /v1/tenants/:tenant/endpoints": { url: "https://spelled.invalid/", eventTypes: ["spell.none"] },
    "PATCH /v1/tenants/:tenant/endpoints/:id": { description: "changed" },
    "POST /v1/tenants/:tenant/endpoints/:id/replay": { since: "2020-01-01T00:00:00Z", status: "failed" },
    "POST /v1/tenants/:tenant/events": { type: "spell.none", payload: { n: 1 } },
    "POST /v1/tenants/:tenant/silences": { matchers: { type: "spell.never" }, duration: "1h", comment: "spelled" },
    "POST /v1/tenants/:tenant/ingest/alertmanager": {
      version: "4",
      status: "firing",
      alerts: [{ status: "firing", labels: { alertname: "spell.none" }, fingerprint: "fp-am" }],
    },
    "POST /v1/event-types": { name: `spell.t${Math.random().toString(36).slice(2, 8)}` },
    "PATCH /v1/event-types/:name": { description: "changed" },
    "POST /v1/keys": { name: "spelled" },
    "POST /v1/tenants/:tenant/keys": { name: "spelled", scopes: ["read"] },
  };
  return `${method} ${url}` in bodies ? bodies[`${method} ${url}`] : {};
}

const allowed = (access: Access, caller: Caller, tenantInPath: boolean): boolean => {
  if (access.kind === "public") return true;
  if (caller.key === null) return false;
  if (access.kind === "any") return true;
  if (access.kind === "admin" || (tenantInPath && caller.tenant !== "acme")) return false;
  return caller.scopes.includes(access.scope);
};

interface Caller {
  name: string;
  key: string | null;
  tenant: string | null;
  scopes: string[];
}

for (const backend of await testBackends()) {
  describe(`route spellings (${backend})`, () => {
    it("answers every spelling of every route as the canonical spelling, or 400/404, for callers without a key, with another tenant's key and with a portal session", async () => {
      const receiver = await startReceiver();
      try {
        await withBackendServer(backend, {}, async ({ url, api: admin, app }) => {
          const base = new URL(url);
          const table = app.server!.routeTable() as { method: string; url: string; access: Access }[];
          // The table is the server's own; check it holds what this test must cover.
          const keys = new Set(table.map((r) => `${r.method} ${r.url}`));
          for (const must of ["POST /v1/keys", "GET /v1/tenants/:tenant/endpoints/:id/secret", "POST /v1/master-key/rotate", "GET /healthz", "GET /assets/*"]) {
            assert.ok(keys.has(must), `route table lacks ${must}: ${[...keys].join(", ")}`);
          }
          const acme = await createFixtures(admin, "acme", receiver.url, "spell");
          await createFixtures(admin, "globex", receiver.url, "spell");
          await eventually(
            async () => {
              const r = await admin<{ data: { status: string }[] }>("GET", "/v1/tenants/acme/deliveries");
              return r.body.data.length === 2 && r.body.data.every((d) => d.status === "succeeded");
            },
            10_000,
            "the fixture deliveries to succeed",
          );
          const globexKey = (
            await admin<{ key: string }>("POST", "/v1/tenants/globex/keys", { name: "all", scopes: ["events:write", "endpoints:write", "read"] })
          ).body.key;
          const portal = (await admin<{ token: string }>("POST", "/v1/tenants/acme/portal-sessions")).body.token;
          // Callers who may not go first: a spelling that gets them through to a DELETE fails the test before anything is gone.
          const callers: Caller[] = [
            { name: "no key", key: null, tenant: null, scopes: [] },
            { name: "globex key with every scope", key: globexKey, tenant: "globex", scopes: ["events:write", "endpoints:write", "read"] },
            { name: "acme portal session", key: portal, tenant: "acme", scopes: ["endpoints:write", "read"] },
          ];

          // Routes that change the server for everyone run last (master-key rotation, deletions).
          const order = (r: { method: string; url: string }) => (r.url === "/v1/master-key/rotate" ? 2 : r.method === "DELETE" ? 1 : 0);
          const routes = table.filter((r) => r.method !== "OPTIONS").sort((a, b) => order(a) - order(b));
          let requests = 0;
          let spelled = 0;
          const failures: string[] = [];
          for (const route of routes) {
            // `/assets/*`: a file that exists in no build, so every spelling must stay a 404 (or 400).
            const template = route.url.replace("*", "spelled.js");
            const parts = template.split("/").slice(1);
            const literal = (i: number) => !parts[i].startsWith(":") && !(route.url.endsWith("*") && i === parts.length - 1);
            const path = `/${parts.map((p, i) => (p.startsWith(":") ? encodeURIComponent(valueFor(route.url, p.slice(1), parts[i - 1], acme, "acme")) : p)).join("/")}`;
            if (path === "/") continue; // the console's page: no segments to spell
            const tenantInPath = route.url.includes(":tenant");
            for (const caller of callers) {
              const body = () => bodyFor(route.method, route.url);
              const canonical = await send(base, route.method, path, caller.key, body());
              requests++;
              const may = allowed(route.access, caller, tenantInPath);
              // The canonical answer itself follows the route's declaration.
              if (!may) {
                const want = caller.key === null ? 401 : tenantInPath && caller.tenant !== "acme" ? 404 : 403;
                if (canonical.status !== want)
                  failures.push(`${caller.name}: ${route.method} ${path} -> ${canonical.status}, expected ${want}: ${canonical.text.slice(0, 200)}`);
              }
              for (const [name, target] of spellingsOf(path, literal)) {
                const got = await send(base, route.method, target, caller.key, body());
                requests++;
                spelled++;
                // Expiring a silence works once: the canonical call expired it, so a spelling that reaches the route finds it expired.
                const spent = route.url.endsWith("/silences/:id/expire") && canonical.status === 200 && got.status === 409;
                const ok = got.status === canonical.status || got.status === 400 || got.status === 404 || spent;
                // Never more than the canonical answer: a 2xx where the canonical spelling was refused is a bypass.
                const bypass = got.status >= 200 && got.status < 300 && !(canonical.status >= 200 && canonical.status < 300);
                if (!ok || bypass || got.status >= 500) {
                  failures.push(
                    `${caller.name}: ${route.method} ${target} (${name}) -> ${got.status}, canonical ${path} -> ${canonical.status}: ${got.text.slice(0, 200)}`,
                  );
                }
              }
            }
          }
          assert.deepEqual(failures, [], `${failures.length} spellings answered more than the canonical path`);
          assert.ok(spelled > 1000 && requests > spelled, `${requests} requests, ${spelled} spelled`);
        });
      } finally {
        await receiver.close();
      }
    });
  });
}
