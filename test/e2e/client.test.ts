import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DELIVERY_STATUSES, EVENT_TYPE_PATTERN, type EndpointCreate, OUTCOMES, TocsinApiError, createTocsinClient, unwrap } from "@tocsin/client";
import { REGENERATE, SCHEMA_FILE, fetchOpenApiDocument, renderClientSchema } from "../../scripts/gen-client.ts";
import { startReceiver } from "../support/receiver.ts";
import { eventually, tempDir, withServer } from "../support/server.ts";
import { consumerEnv } from "../support/fixtures.ts";

const PACKAGE_DIR = new URL("../../packages/client/", import.meta.url).pathname;
const TSC = new URL("../../node_modules/typescript/bin/tsc", import.meta.url).pathname;
const TYPE_ROOTS = new URL("../../node_modules/@types", import.meta.url).pathname;

/** Runs a command to completion (killed after `timeoutMs`); returns its exit code and output. */
function exec(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...consumerEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => {
      out += `\n[test: ${cmd} ${args.join(" ")} killed after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("@tocsin/client", () => {
  it("its committed types are those of the live OpenAPI document", async () => {
    const fresh = await renderClientSchema(await fetchOpenApiDocument());
    const committed = readFileSync(SCHEMA_FILE, "utf8");
    assert.ok(fresh === committed, `packages/client/src/schema.ts is out of date with GET /openapi.json: run ${REGENERATE} and commit the result`);
  });

  it("its run-time constants are the document's: delivery statuses, outcomes, the event-type pattern", async () => {
    type S = { anyOf?: { const?: unknown; enum?: unknown[] }[]; properties?: Record<string, S>; items?: S; pattern?: string };
    const schemas = ((await fetchOpenApiDocument()) as { components: { schemas: Record<string, S> } }).components.schemas;
    const values = (s: S) => (s.anyOf ?? []).map((v) => v.const ?? v.enum?.[0]);
    assert.deepEqual(values(schemas.DeliveryStatus), [...DELIVERY_STATUSES]);
    assert.deepEqual(Object.keys(schemas.OutcomeCounts.properties ?? {}), [...OUTCOMES]);
    assert.equal(schemas.EndpointCreate.properties?.eventTypes.items?.pattern, EVENT_TYPE_PATTERN);
  });

  it("creates a tenant and an endpoint, posts an event, lists its delivery, and throws typed problems", async () => {
    const rx = await startReceiver();
    try {
      await withServer({}, async ({ url, apiKey }) => {
        let calls = 0;
        const client = createTocsinClient({ baseUrl: `${url}/`, apiKey, fetch: (req) => (calls++, fetch(req)) });

        const tenant = await unwrap(client.POST("/v1/tenants", { body: { id: "acme", name: "Acme" } }));
        assert.equal(tenant.id, "acme");
        assert.equal(tenant.name, "Acme");
        const ep = await unwrap(
          client.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant: "acme" } }, body: { url: `${rx.url}/hook`, eventTypes: ["alert.*"] } }),
        );
        assert.match(ep.id, /^ep_/);
        assert.equal(ep.secretSet, true);

        // A body serializer that returns the text as written keeps the number's exact text.
        const text = '{"type":"alert.fired","payload":{"score":9.50}}';
        const posted = await unwrap(
          client.POST("/v1/tenants/{tenant}/events", { params: { path: { tenant: "acme" } }, body: JSON.parse(text), bodySerializer: () => text }),
        );
        assert.ok("id" in posted, "one event answers {id, deliveries}");
        assert.equal(posted.deliveries, 1);
        const [arrived] = await rx.waitFor(1, 10_000);
        assert.equal(arrived.body, '{"score":9.50}');

        const delivered = await eventually(
          async () => {
            const page = await unwrap(
              client.GET("/v1/tenants/{tenant}/deliveries", { params: { path: { tenant: "acme" }, query: { eventId: posted.id, limit: 10 } } }),
            );
            return page.data.find((d) => d.status === "succeeded");
          },
          10_000,
          "the delivery to succeed",
        );
        assert.equal(delivered.endpointId, ep.id);
        assert.equal(delivered.lastStatusCode, 200);

        // Without unwrap: the problem document is the typed `error`.
        const bad = await client.POST("/v1/tenants/{tenant}/endpoints", {
          params: { path: { tenant: "acme" } },
          body: { url: "ftp://example.com/x", eventTypes: ["*"] },
        });
        assert.equal(bad.response.status, 400);
        assert.match(bad.response.headers.get("content-type") ?? "", /^application\/problem\+json/);
        assert.equal(bad.error?.code, "validation_failed");
        assert.equal(bad.error?.errors?.[0].path, "/url");

        // With unwrap: a TocsinApiError carrying the status and the problem.
        const body = { url: "ftp://example.com/x", eventTypes: ["*"] } satisfies EndpointCreate;
        const err = await unwrap(client.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant: "acme" } }, body })).then(
          () => assert.fail("a 400 must throw"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof TocsinApiError);
        assert.equal(err.status, 400);
        assert.equal(err.code, "validation_failed");
        assert.equal(err.problem?.title, "Bad Request");
        assert.equal(err.message, `400 Bad Request: ${err.problem?.detail}`);

        await assert.rejects(unwrap(client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "nope" } } })), (e: unknown) => {
          assert.ok(e instanceof TocsinApiError);
          assert.equal(e.status, 404);
          assert.equal(e.problem?.code, "not_found");
          return true;
        });
        const stranger = createTocsinClient({ baseUrl: url, apiKey: "tsk_not_a_key" });
        await assert.rejects(unwrap(stranger.GET("/v1/tenants")), (e: unknown) => e instanceof TocsinApiError && e.status === 401 && e.code === "unauthorized");

        // 204: undefined.
        assert.equal(await unwrap(client.DELETE("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant: "acme", id: ep.id } } })), undefined);
        assert.ok(calls >= 8, `every call goes through the given fetch (${calls})`);
      });
    } finally {
      await rx.close();
    }
  });

  it("works as installed from a registry: packed, installed into a fresh project, imported by plain JavaScript", async () => {
    const dir = tempDir("tocsin-client-pack-");
    try {
      // prepack builds dist/ (src compiled, .ts imports rewritten to .js, declarations).
      const pack = await exec("npm", ["pack", "--pack-destination", dir], PACKAGE_DIR);
      assert.equal(pack.code, 0, pack.out);
      const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
      assert.ok(tgz, `npm pack wrote no tarball:\n${pack.out}`);

      const app = join(dir, "app");
      rmSync(app, { recursive: true, force: true });
      await exec("mkdir", ["-p", app], dir);
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "client-consumer", private: true, type: "module" }));
      // openapi-fetch comes from npm's cache when it is there (npm ci put it there), else from the registry.
      const install = await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tgz)], app, {}, 120_000);
      assert.equal(install.code, 0, install.out);
      const installed = readdirSync(join(app, "node_modules/@tocsin/client/dist")).sort();
      assert.deepEqual(installed, ["constants.d.ts", "constants.js", "headers.d.ts", "headers.js", "index.d.ts", "index.js", "schema.d.ts", "schema.js"]);

      // Node strips no types under node_modules: this proves the package ships JavaScript.
      writeFileSync(
        join(app, "main.mjs"),
        `import { createTocsinClient, unwrap, TocsinApiError, parseHeaderList, OUTCOMES } from "@tocsin/client";
if (OUTCOMES.length !== 5) throw new Error("OUTCOMES: " + JSON.stringify(OUTCOMES));
const headers = parseHeaderList("X-Team: soc, Accept: text/html, application/json");
const client = createTocsinClient({ baseUrl: process.env.TOCSIN_URL, apiKey: process.env.TOCSIN_API_KEY });
const tenant = await unwrap(client.POST("/v1/tenants", { body: { id: "from-package" } }));
let status = null;
try {
  await unwrap(client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "missing" } } }));
} catch (e) {
  if (e instanceof TocsinApiError) status = e.status;
}
console.log(JSON.stringify({ id: tenant.id, status, headers }));
`,
      );
      // Its declarations resolve too: a route that does not exist is a type error.
      writeFileSync(
        join(app, "check.ts"),
        `import { createTocsinClient, unwrap, type Endpoint } from "@tocsin/client";
const client = createTocsinClient({ baseUrl: "http://127.0.0.1:3000", apiKey: "tsk_x" });
export async function endpointUrl(): Promise<string> {
  const ep: Endpoint = await unwrap(client.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant: "t", id: "e" } } }));
  return ep.url;
}
// @ts-expect-error: not a route of the API
void client.GET("/v1/no-such-route");
`,
      );
      const tsc = await exec(
        process.execPath,
        [
          TSC,
          "--noEmit",
          "--strict",
          "--skipLibCheck",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--target",
          "es2022",
          "--types",
          "node",
          "--typeRoots",
          TYPE_ROOTS,
          "check.ts",
        ],
        app,
      );
      assert.equal(tsc.code, 0, `the installed package's types do not check:\n${tsc.out}`);

      await withServer({}, async ({ url, apiKey }) => {
        const run = await exec(process.execPath, ["main.mjs"], app, { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey }, 30_000);
        assert.equal(run.code, 0, run.out);
        assert.deepEqual(JSON.parse(run.out.trim().split("\n").at(-1)!), {
          id: "from-package",
          status: 404,
          headers: { "X-Team": "soc", Accept: "text/html, application/json" },
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
