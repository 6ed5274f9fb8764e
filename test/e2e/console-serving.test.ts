import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir, withServer } from "../support/server.ts";

// The web console as `tocsin serve` serves it, from a stand-in build in a temp folder
// (TOCSIN_CONSOLE_DIR), never from web/dist.

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body>console-index</body></html>\n';
const ASSET = "console.log('asset-1a2b3c');\n";
/** A file next to the console folder that no URL may reach. */
const SECRET = "secret-outside-the-console";

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the path sent exactly as written (fetch would resolve `..` segments first). */
function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(base, { method: opts.method ?? "GET", path, headers: opts.headers, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** A stand-in build: index.html, one hashed asset and a top-level file, plus a secret beside it. */
function withBuiltConsole(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = tempDir("tocsin-console-");
  const dir = join(root, "dist");
  mkdirSync(join(dir, "assets"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "app-1a2b3c.js"), ASSET);
  writeFileSync(join(dir, "robots.txt"), "User-agent: *\nDisallow: /\n");
  writeFileSync(join(root, "secret.txt"), SECRET);
  writeFileSync(join(dir, ".env"), SECRET);
  return fn(dir).finally(() => rmSync(root, { recursive: true, force: true }));
}

function assertPageHeaders(r: Raw, what: string, frameAncestors = "'none'") {
  assert.match(String(r.headers["content-type"]), /^text\/html; charset=utf-8/, what);
  assert.equal(r.headers["cache-control"], "no-cache", what);
  assert.equal(r.headers["x-content-type-options"], "nosniff", what);
  assert.equal(r.headers["referrer-policy"], "no-referrer", what);
  const csp = String(r.headers["content-security-policy"]);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors}`,
  ]) {
    assert.ok(csp.split("; ").includes(directive), `${what}: CSP ${csp} lacks ${directive}`);
  }
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), `${what}: ${csp}`);
  if (frameAncestors === "'none'") assert.equal(r.headers["x-frame-options"], "DENY", what);
  else assert.equal(r.headers["x-frame-options"], undefined, what);
}

function assertProblem(r: Raw, status: number, code: string, what: string) {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.body}`);
  assert.match(String(r.headers["content-type"]), /^application\/problem\+json/, what);
  assert.equal((JSON.parse(r.body) as { code: string }).code, code, what);
}

describe("web console serving", () => {
  it("serves index.html at / and, for browser navigations, at any path outside the API, with strict security headers", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir, TOCSIN_CONSOLE_FRAME_ANCESTORS: "https://app.example.com, 'self'" }, async ({ url }) => {
        for (const [path, headers] of [
          ["/", {}],
          ["/", HTML],
          ["/portal", HTML],
          ["/portal?x=1", HTML],
          ["/tenants/acme/endpoints/ep_1", HTML],
          ["/tenants/acme.corp", HTML],
          ["/index.html", {}],
        ] as const) {
          const r = await raw(url, path, { headers });
          assert.equal(r.status, 200, `${path}: ${r.status} ${r.body}`);
          assert.equal(r.body, INDEX, path);
          assertPageHeaders(r, path, path.startsWith("/portal") ? "https://app.example.com 'self'" : "'none'");
        }
        // Only a browser navigation gets the page: API clients and scripts get the JSON 404.
        assertProblem(await raw(url, "/portal"), 404, "not_found", "/portal without Accept");
        assertProblem(await raw(url, "/portal", { headers: { accept: "*/*" } }), 404, "not_found", "/portal, Accept */*");
        assertProblem(await raw(url, "/portal", { headers: { accept: "text/html;q=0" } }), 404, "not_found", "/portal, text/html refused");
        assertProblem(await raw(url, "/portal", { method: "POST", headers: HTML }), 404, "not_found", "POST /portal");
        // A top-level file of the build (what Vite copies from web/public).
        const robots = await raw(url, "/robots.txt");
        assert.equal(robots.status, 200);
        assert.match(robots.body, /^User-agent/);
        assert.equal(robots.headers["cache-control"], "no-cache");
      }),
    );
  });

  it("serves hashed assets with a year-long immutable cache, and a missing asset is a 404, not the page", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir }, async ({ url }) => {
        const r = await raw(url, "/assets/app-1a2b3c.js");
        assert.equal(r.status, 200);
        assert.equal(r.body, ASSET);
        assert.match(String(r.headers["content-type"]), /^(application|text)\/javascript/);
        assert.equal(r.headers["cache-control"], "public, max-age=31536000, immutable");
        assert.equal(r.headers["x-content-type-options"], "nosniff");
        for (const path of ["/assets/missing.js", "/assets", "/assets/"]) assertProblem(await raw(url, path, { headers: HTML }), 404, "not_found", path);
      }),
    );
  });

  it("never shadows /v1, /healthz, /readyz, /metrics or /openapi.json, whatever the Accept header", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir }, async ({ url, apiKey }) => {
        const key = { authorization: `Bearer ${apiKey}` };
        for (const headers of [{}, HTML]) {
          assertProblem(await raw(url, "/v1/nope", { headers: { ...headers, ...key } }), 404, "not_found", "/v1/nope");
          assertProblem(await raw(url, "/v1/nope", { headers }), 404, "not_found", "/v1/nope without a key");
          assertProblem(await raw(url, "/v%31/nope", { headers }), 404, "not_found", "/v%31/nope without a key");
          assertProblem(await raw(url, "/v1", { headers: { ...headers, ...key } }), 404, "not_found", "/v1");
          assertProblem(await raw(url, "/v1/tenants/nobody", { headers: { ...headers, ...key } }), 404, "not_found", "/v1/tenants/nobody");
          const health = await raw(url, "/healthz", { headers });
          assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: "ok" }]);
          assert.equal((await raw(url, "/readyz", { headers })).status, 200);
          const doc = await raw(url, "/openapi.json", { headers });
          assert.equal(doc.status, 200);
          const paths = Object.keys((JSON.parse(doc.body) as { paths: Record<string, unknown> }).paths);
          assert.ok(paths.includes("/v1/session") && !paths.includes("/") && !paths.some((p) => p.startsWith("/assets")), paths.join(" "));
          const metrics = await raw(url, "/metrics", { headers });
          assert.equal(metrics.status, 200);
          assert.match(String(metrics.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
          assertProblem(await raw(url, "/healthz/extra", { headers }), 404, "not_found", "/healthz/extra");
        }
      }),
    );
  });

  it("answers HEAD like GET, without a body", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir }, async ({ url }) => {
        for (const [path, headers] of [
          ["/", {}],
          ["/portal", HTML],
          ["/assets/app-1a2b3c.js", {}],
        ] as const) {
          const get = await raw(url, path, { headers });
          const head = await raw(url, path, { method: "HEAD", headers });
          assert.equal(head.status, 200, path);
          assert.equal(head.body, "", path);
          for (const h of ["content-type", "content-length", "cache-control", "content-security-policy"])
            assert.equal(head.headers[h], get.headers[h], `${path}: ${h}`);
        }
        const missing = await raw(url, "/assets/missing.js", { method: "HEAD" });
        assert.deepEqual([missing.status, missing.body], [404, ""]);
        assert.match(String(missing.headers["content-type"]), /^application\/problem\+json/);
      }),
    );
  });

  it("does not let a path escape the console folder or reach its dotfiles", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir }, async ({ url }) => {
        const attempts = [
          "/..%2fsecret.txt",
          "/..%2f..%2fpackage.json",
          "/%2e%2e/secret.txt",
          "/assets/../../secret.txt",
          "/assets/../../package.json",
          "/assets/..%2f..%2fsecret.txt",
          "/assets/%2e%2e/%2e%2e/secret.txt",
          "/assets/..%5c..%5csecret.txt",
          "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
          "/assets//../../secret.txt",
          "/.env",
          "/assets/../.env",
          "/..",
          "/../secret.txt",
        ];
        for (const path of attempts) {
          for (const headers of [{}, HTML]) {
            const r = await raw(url, path, { headers });
            assert.ok(!r.body.includes(SECRET) && !r.body.includes('"name": "tocsin"'), `${path} leaked a file: ${r.status} ${r.body.slice(0, 200)}`);
            // Either the JSON 404 or, for a browser navigation to a path outside /assets, the page.
            if (r.status === 200) assert.equal(r.body, INDEX, path);
            else assertProblem(r, r.status, r.status === 400 ? "invalid_request" : "not_found", path);
          }
        }
      }),
    );
  });

  it("answers 503 with a page saying how to build the console when it is not built, and keeps serving the API", async () => {
    const missing = join(tempDir("tocsin-console-missing-"), "dist");
    try {
      await withServer({ TOCSIN_CONSOLE_DIR: missing }, async ({ url, api }) => {
        for (const [path, headers] of [
          ["/", {}],
          ["/", HTML],
          ["/portal", HTML],
        ] as const) {
          const r = await raw(url, path, { headers });
          assert.equal(r.status, 503, path);
          assertPageHeaders(r, path);
          assert.match(r.body, /npm run build:web/, path);
        }
        const json = await raw(url, "/", { headers: { accept: "application/json" } });
        assertProblem(json, 503, "unavailable", "/ asking for JSON");
        assert.match((JSON.parse(json.body) as { detail: string }).detail, /npm run build:web/);
        assertProblem(await raw(url, "/assets/app-1a2b3c.js"), 404, "not_found", "an asset of a console not built");
        assert.equal((await api("GET", "/v1/tenants")).status, 200);
      });
    } finally {
      rmSync(join(missing, ".."), { recursive: true, force: true });
    }
  });

  it("serves no console at all with TOCSIN_CONSOLE=false", async () => {
    await withBuiltConsole((dir) =>
      withServer({ TOCSIN_CONSOLE_DIR: dir, TOCSIN_CONSOLE: "false" }, async ({ url }) => {
        for (const path of ["/", "/portal", "/index.html", "/assets/app-1a2b3c.js", "/robots.txt"]) {
          assertProblem(await raw(url, path, { headers: HTML }), 404, "not_found", path);
        }
        assert.equal((await raw(url, "/healthz")).status, 200);
      }),
    );
  });
});
