import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withServer } from "../support/server.ts";
import { validate as validateOpenApi } from "@readme/openapi-parser";

type Problem = { type: string; title: string; status: number; detail: string; code: string; errors?: { path: string; message: string }[] };

describe("REST API conventions", () => {
  it("requires the admin key as a bearer token", async () => {
    await withServer({}, async ({ url, api }) => {
      const none = await fetch(`${url}/v1/tenants`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("content-type"), "application/problem+json; charset=utf-8");
      const wrong = await fetch(`${url}/v1/tenants`, { headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      assert.equal((await api("GET", "/v1/tenants")).status, 200);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
    });
  });

  it("answers bad input with RFC 9457 problem documents naming the field", async () => {
    await withServer({}, async ({ api, url, apiKey }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const cases: [string, string, unknown, number, string][] = [
        ["POST", "/v1/tenants", { id: "bad id!" }, 400, "/id"],
        ["POST", "/v1/tenants", { id: "x", color: "red" }, 400, "/color"],
        ["POST", "/v1/tenants/acme/endpoints", { url: "ftp://x.example/", eventTypes: [] }, 400, "/url"],
        ["POST", "/v1/tenants/acme/endpoints", { url: "https://x.example/" }, 400, "/eventTypes"],
        ["POST", "/v1/tenants/acme/endpoints", { url: "https://x.example/", eventTypes: "a" }, 400, "/eventTypes"],
        ["POST", "/v1/tenants/acme/endpoints", { url: "https://x.example/", eventTypes: ["a b"] }, 400, "/eventTypes/0"],
        ["POST", "/v1/tenants/acme/endpoints", { url: "https://x.example/", eventTypes: [], secret: "abc" }, 400, "/secret"],
        ["POST", "/v1/tenants/acme/events", { type: "a.b" }, 400, "/payload"],
        ["POST", "/v1/tenants/acme/events", { type: 7, payload: 1 }, 400, "/type"],
        ["POST", "/v1/tenants/acme/events", [], 400, ""],
        ["POST", "/v1/event-types", { name: "a.b", schema: { type: "nope" } }, 400, "/schema"],
        ["POST", "/v1/event-types", { name: "a.b", schema: { type: "object", required: ["x"] }, example: {} }, 400, "/example"],
        ["GET", "/v1/tenants?limit=0", undefined, 400, "query.limit"],
        ["GET", "/v1/tenants/acme/deliveries?status=lost", undefined, 400, "query.status"],
      ];
      for (const [method, path, body, status, field] of cases) {
        const r = await api<Problem>(method, path, body);
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get("content-type")?.split(";")[0], "application/problem+json");
        assert.equal(r.body.status, status);
        assert.equal(r.body.code, "validation_failed");
        assert.ok(r.body.type && r.body.title && r.body.detail);
        assert.equal(r.body.errors?.[0].path, field, `${method} ${path}: ${JSON.stringify(r.body)}`);
      }
      const broken = await fetch(`${url}/v1/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: "{",
      });
      assert.equal(broken.status, 400);
      assert.equal(((await broken.json()) as Problem).code, "invalid_json");
      const text = await fetch(`${url}/v1/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "text/plain" },
        body: "hi",
      });
      assert.equal(text.status, 415);
      const missing = await api<Problem>("GET", "/v1/tenants/nobody/endpoints");
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, "not_found");
      assert.equal((await api<Problem>("GET", "/v1/nothing-here")).status, 404);
      assert.equal((await api<Problem>("POST", "/v1/tenants", { id: "acme" })).status, 409);
    });
  });

  it("rejects an event payload above the size limit with 413", async () => {
    await withServer({ TOCSIN_MAX_PAYLOAD_BYTES: "2048" }, async ({ api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const r = await api<Problem>("POST", "/v1/tenants/acme/events", [
        { type: "a", payload: 1 },
        { type: "a", payload: "x".repeat(3000) },
      ]);
      assert.equal(r.status, 413);
      assert.equal(r.body.errors?.[0].path, "/1/payload");
      const list = await api<{ data: unknown[] }>("GET", "/v1/tenants/acme/events");
      assert.equal(list.body.data.length, 0, "a rejected batch stores nothing");
    });
  });

  it("pages lists with limit and cursor", async () => {
    await withServer({}, async ({ api }) => {
      for (let i = 0; i < 5; i++) await api("POST", "/v1/tenants", { id: `t${i}` });
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r: { body: { data: { id: string }[]; nextCursor: string | null } } = await api("GET", `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...r.body.data.map((t) => t.id));
        cursor = r.body.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, ["t0", "t1", "t2", "t3", "t4"]);
      await api(
        "POST",
        "/v1/tenants/t0/events",
        [1, 2, 3].map((n) => ({ type: "a", payload: n })),
      );
      const p1 = await api<{ data: { payload: number }[]; nextCursor: string }>("GET", "/v1/tenants/t0/events?limit=2");
      assert.deepEqual(
        p1.body.data.map((e) => e.payload),
        [3, 2],
      );
      const p2 = await api<{ data: { payload: number }[]; nextCursor: string | null }>("GET", `/v1/tenants/t0/events?limit=2&cursor=${p1.body.nextCursor}`);
      assert.deepEqual(
        p2.body.data.map((e) => e.payload),
        [1],
      );
      assert.equal(p2.body.nextCursor, null);
    });
  });

  it("patches with JSON merge patch and never returns secrets except from the secret route", async () => {
    await withServer({}, async ({ api }) => {
      await api("POST", "/v1/tenants", { id: "acme", name: "Acme", metadata: { plan: "pro", region: "eu" } });
      const t = await api<{ name: string; metadata: Record<string, unknown> }>(
        "PATCH",
        "/v1/tenants/acme",
        { metadata: { region: null, seats: 5 } },
        { "content-type": "application/merge-patch+json" },
      );
      assert.equal(t.status, 200);
      assert.equal(t.body.name, "Acme");
      assert.deepEqual(t.body.metadata, { plan: "pro", seats: 5 });
      const ep = await api<Record<string, unknown>>("POST", "/v1/tenants/acme/endpoints", {
        url: "https://hooks.example.com/x",
        eventTypes: ["a.*"],
        name: "Main",
      });
      assert.equal(ep.body.secretSet, true);
      assert.equal(ep.body.secret, undefined);
      assert.equal(ep.body.status, "active");
      const secret = await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.body.id}/secret`);
      assert.match(secret.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const patched = await api<Record<string, unknown>>("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { description: "d", name: null });
      assert.equal(patched.body.name, null);
      assert.equal(patched.body.description, "d");
      assert.deepEqual(patched.body.eventTypes, ["a.*"]);
      assert.equal(patched.body.version, 2);
      const del = await api("DELETE", `/v1/tenants/acme/endpoints/${ep.body.id}`);
      assert.equal(del.status, 204);
      assert.equal((await api("GET", `/v1/tenants/acme/endpoints/${ep.body.id}`)).status, 404);
    });
  });

  it("keeps an event-type catalog, and accepts events of types outside it", async () => {
    await withServer({}, async ({ api }) => {
      const schema = { type: "object", properties: { severity: { type: "string" } } };
      const c = await api("POST", "/v1/event-types", { name: "alert.fired", description: "An alert fired", schema, example: { severity: "high" } });
      assert.equal(c.status, 201);
      const got = await api<{ schema: unknown; example: unknown }>("GET", "/v1/event-types/alert.fired");
      assert.deepEqual(got.body.schema, schema);
      assert.deepEqual(got.body.example, { severity: "high" });
      const list = await api<{ data: { name: string }[] }>("GET", "/v1/event-types");
      assert.deepEqual(
        list.body.data.map((t) => t.name),
        ["alert.fired"],
      );
      const p = await api<{ description: string }>("PATCH", "/v1/event-types/alert.fired", { description: "changed" });
      assert.equal(p.body.description, "changed");
      await api("POST", "/v1/tenants", { id: "acme" });
      assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "not.in.catalog", payload: {} })).status, 202);
      assert.equal((await api("DELETE", "/v1/event-types/alert.fired")).status, 204);
    });
  });

  it("publishes a valid OpenAPI 3.1 document for every /v1 route", async () => {
    await withServer({}, async ({ url }) => {
      const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      assert.equal(doc.openapi, "3.1.0");
      // An independent validator (schema and semantics), as client generators would read it.
      const result = await validateOpenApi(structuredClone(doc) as Parameters<typeof validateOpenApi>[0]);
      assert.deepEqual(result, { valid: true, warnings: [], specification: "OpenAPI" });
      for (const p of [
        "/v1/tenants",
        "/v1/tenants/{tenant}",
        "/v1/tenants/{tenant}/endpoints",
        "/v1/tenants/{tenant}/endpoints/{id}",
        "/v1/tenants/{tenant}/endpoints/{id}/secret",
        "/v1/tenants/{tenant}/events",
        "/v1/tenants/{tenant}/events/{id}",
        "/v1/tenants/{tenant}/deliveries",
        "/v1/tenants/{tenant}/deliveries/{id}",
        "/v1/tenants/{tenant}/deliveries/{id}/retry",
        "/v1/event-types",
        "/v1/event-types/{name}",
      ]) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
      // The media types it names are the ones sent: problem documents for every error.
      type Res = { $ref?: string; content?: Record<string, unknown> };
      type Op = { responses: Record<string, Res>; requestBody?: unknown };
      const components = (doc as { components?: { responses?: Record<string, Res> } }).components;
      let errors = 0;
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item as Record<string, Op>)) {
          // Every operation answers 500 and 503 as problems, and 413 and 415 when its method may carry a body.
          for (const status of ["500", "503", ...(method === "get" ? [] : ["413", "415"])]) assert.ok(op.responses[status], `${method} ${path} ${status}`);
          for (const [status, res] of Object.entries(op.responses)) {
            if (/^[45]/.test(status)) {
              errors++;
              // ...all through the one shared Problem response.
              assert.equal(res.$ref, "#/components/responses/Problem", `${method} ${path} ${status}`);
              assert.deepEqual(Object.keys(components?.responses?.Problem.content ?? {}), ["application/problem+json"]);
            } else {
              const types = Object.keys(res.content ?? {});
              assert.ok(!types.includes("application/problem+json"), `${method} ${path} ${status}: ${types}`);
            }
          }
        }
      }
      assert.ok(errors > 100, `${errors} error responses documented`);
      // Named schemas are listed once and referred to; PATCH bodies are declared as merge patches.
      const schemas = (doc as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {};
      for (const name of ["Problem", "TenantOut", "EndpointCreate", "EndpointPatch", "EndpointOut", "DeliveryOut", "EventIn"])
        assert.ok(schemas[name], `components.schemas.${name}`);
      const patch = doc.paths["/v1/tenants/{tenant}/endpoints/{id}"].patch as { requestBody: { content: Record<string, { schema: unknown }> } };
      assert.deepEqual(Object.keys(patch.requestBody.content), ["application/merge-patch+json", "application/json"]);
      assert.deepEqual(patch.requestBody.content["application/merge-patch+json"].schema, { $ref: "#/components/schemas/EndpointPatch" });
      // Actions that take no body as {} say their body is optional; other bodies are required.
      const required = (path: string) => (doc.paths[path].post as { requestBody?: { required?: boolean } }).requestBody?.required;
      for (const p of [
        "/v1/tenants/{tenant}/endpoints/{id}/test",
        "/v1/tenants/{tenant}/endpoints/{id}/preview",
        "/v1/tenants/{tenant}/endpoints/{id}/secret/rotate",
        "/v1/tenants/{tenant}/portal-sessions",
        "/v1/master-key/rotate",
      ]) {
        assert.equal(required(p), false, p);
      }
      assert.equal(required("/v1/tenants/{tenant}/events"), true);
      assert.equal(required("/v1/tenants/{tenant}/endpoints"), true);
      const problem = await fetch(`${url}/v1/tenants`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(problem.headers.get("content-type"), "application/problem+json; charset=utf-8");
    });
  });
});
