import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { browserMissing, builtConsole, launchBrowser, removeBuilt } from "../support/browser.ts";
import { backendEnv, testBackends } from "../support/backends.ts";
import { makeCerts } from "../support/certs.ts";
import { runCli } from "../support/cli.ts";
import { startConnectProxy } from "../support/connect-proxy.ts";
import { startDnsServer } from "../support/dns-server.ts";
import { startReceiver } from "../support/receiver.ts";
import { createApi, eventually, spawnServer, startServer, tempDir, withServer } from "../support/server.ts";
import { startTlsReceiver } from "../support/tls-receiver.ts";

// An endpoint's egress proxy (`proxy`, a name from TOCSIN_PROXIES) end to end: real CONNECT
// proxies on loopback, one asking for Basic proxy credentials, an HTTPS and a plain receiver, and
// the real server as a child process whose log is read for the proxy's password.

const BACKENDS = await testBackends();

const PROXY_USER = "eu-user";
const PROXY_PASSWORD = "s3cr3t-proxy-pw";
const PROXY_BASIC = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")}`;

type Endpoint = { id: string; proxy: string | null };
type Problem = { status: number; detail: string; errors: { path: string; message: string }[] };
type TestCall = { response: { status: number } | null; error: { class: string; message: string } | null };

for (const backend of BACKENDS) {
  describe(`${backend}: egress proxy per endpoint`, () => {
    it("delivers, tests and validates through the endpoint's proxy with its credentials, goes direct without one, lets only admin keys choose it, and never shows the credentials", async () => {
      const certs = await makeCerts();
      const tlsRx = await startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey });
      const rx = await startReceiver();
      const eu = await startConnectProxy((host) => host === "127.0.0.1", `${PROXY_USER}:${PROXY_PASSWORD}`);
      const us = await startConnectProxy((host) => host === "127.0.0.1");
      const b = await backendEnv(backend);
      const dataDir = tempDir();
      const euUrl = eu.url.replace("http://", `http://${PROXY_USER}:${PROXY_PASSWORD}@`);
      const server = await spawnServer(dataDir, "tsk_egress_proxy_key", {
        ...b.env,
        TOCSIN_LOG_LEVEL: "trace",
        TOCSIN_RETRY_SCHEDULE: "1h",
        TOCSIN_PROXIES: `eu-static=${euUrl},us-static=${us.url}`,
      });
      const { api } = server;
      const shown: string[] = [];
      const see = async <T>(r: Promise<{ status: number; body: T }>) => {
        const out = await r;
        shown.push(JSON.stringify(out.body));
        return out;
      };
      try {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const proxies = await see(api<{ data: { name: string }[] }>("GET", "/v1/proxies"));
        assert.deepEqual(proxies.body, { data: [{ name: "eu-static" }, { name: "us-static" }] });

        // Through eu-static to an HTTPS receiver: CONNECT with the proxy's credentials, TLS inside the tunnel.
        const viaEu = await see(
          api<Endpoint>("POST", "/v1/tenants/acme/endpoints", { url: `${tlsRx.url}/eu`, eventTypes: ["*"], tls: { ca: certs.ca }, proxy: "eu-static" }),
        );
        assert.equal(viaEu.status, 201, JSON.stringify(viaEu.body));
        assert.equal(viaEu.body.proxy, "eu-static");
        const direct = await see(api<Endpoint>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/direct`, eventTypes: ["*"] }));
        assert.equal(direct.status, 201, JSON.stringify(direct.body));
        assert.equal(direct.body.proxy, null);

        assert.equal((await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 1 } })).status, 202);
        const [signed] = await tlsRx.waitFor(1);
        await rx.waitFor(1);
        assert.equal(signed!.path, "/eu");
        assert.match(String(signed!.headers["webhook-signature"]), /^v1,/, "the receiver got the signed request");
        assert.deepEqual(eu.tunnels, [`127.0.0.1:${tlsRx.port}`], "eu-static tunnelled to the HTTPS receiver only");
        assert.deepEqual(eu.authorizations, [PROXY_BASIC], "with the proxy's credentials");
        assert.deepEqual(us.tunnels, [], "the endpoint without a proxy went direct");

        // Test calls and validation go through the endpoint's proxy too (a new endpoint: a new tunnel).
        const tested = await see(api<Endpoint>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/tested`, eventTypes: [], proxy: "us-static" }));
        assert.equal(tested.status, 201, JSON.stringify(tested.body));
        const call = await see(api<TestCall>("POST", `/v1/tenants/acme/endpoints/${tested.body.id}/test`));
        assert.equal(call.body.response?.status, 200, JSON.stringify(call.body.error));
        assert.deepEqual(us.tunnels, [`127.0.0.1:${rx.port}`]);
        const validated = await see(
          api<Endpoint & { status: string }>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/validated`,
            eventTypes: [],
            validation: { mode: "token-path" },
            proxy: "us-static",
          }),
        );
        assert.equal(validated.status, 201, JSON.stringify(validated.body));
        await eventually(async () => (await api<{ status: string }>("GET", `/v1/tenants/acme/endpoints/${validated.body.id}`)).body.status === "active");
        assert.equal(us.tunnels.length, 2, JSON.stringify(us.tunnels));
        assert.ok(
          rx.requests.some((r) => r.path.startsWith("/validated/")),
          "the validation request arrived",
        );

        // Unknown names: a 400 naming /proxy that lists the configured ones (only admins get this far).
        const unknown = await see(api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${direct.body.id}`, { proxy: "ap-static" }));
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.errors[0]!.path, "/proxy");
        assert.match(unknown.body.errors[0]!.message, /eu-static, us-static/);

        // Tenant keys and portal sessions read the name but may not set, change or clear it.
        const key = (await api<{ key: string }>("POST", "/v1/tenants/acme/keys", { name: "ci", scopes: ["endpoints:write", "read"] })).body.key;
        const portal = (await api<{ token: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 600 })).body.token;
        for (const as of [createApi(server.url, key), createApi(server.url, portal)]) {
          for (const [method, path, body] of [
            ["POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/t`, eventTypes: ["*"], proxy: "us-static" }],
            ["PATCH", `/v1/tenants/acme/endpoints/${direct.body.id}`, { proxy: "eu-static" }],
            ["PATCH", `/v1/tenants/acme/endpoints/${viaEu.body.id}`, { proxy: null }],
          ] as const) {
            const r = await see(as<Problem>(method, path, body));
            assert.equal(r.status, 403, `${method} ${path} ${JSON.stringify(body)}`);
            assert.equal(r.body.errors[0]!.path, "/proxy");
          }
          assert.equal((await see(as<Endpoint>("GET", `/v1/tenants/acme/endpoints/${viaEu.body.id}`))).body.proxy, "eu-static");
          const renamed = await see(as<Endpoint>("PATCH", `/v1/tenants/acme/endpoints/${viaEu.body.id}`, { name: "eu customer", url: `${tlsRx.url}/moved` }));
          assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
          assert.equal(renamed.body.proxy, "eu-static", "moving the endpoint keeps the operator's proxy");
          assert.equal((await as("GET", "/v1/proxies")).status, 403);
        }
        assert.equal((await see(api<Endpoint>("GET", `/v1/tenants/acme/endpoints/${direct.body.id}`))).body.proxy, null, "nothing was saved");
        const cleared = await see(api<Endpoint>("PATCH", `/v1/tenants/acme/endpoints/${viaEu.body.id}`, { proxy: null }));
        assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
        assert.equal(cleared.body.proxy, null);

        // The proxy's URL and credentials appear nowhere: not in the log, the API's answers or /metrics.
        shown.push(JSON.stringify((await api("GET", "/v1/tenants/acme/deliveries?limit=100")).body));
        shown.push(JSON.stringify((await api("GET", "/openapi.json")).body));
        shown.push(await (await fetch(`${server.url}/metrics`)).text());
        const everything = [...shown, ...server.output].join("\n");
        assert.ok(
          server.output.some((l) => l.includes("endpoint validation passed")),
          "the log was read",
        );
        for (const secret of [PROXY_PASSWORD, PROXY_BASIC.slice(6), euUrl]) assert.ok(!everything.includes(secret), `${secret.slice(0, 8)}… is not shown`);
      } finally {
        server.child.kill("SIGTERM");
        await server.exited;
        rmSync(dataDir, { recursive: true, force: true });
        await b.drop();
        await Promise.all([eu.close(), us.close(), rx.close(), tlsRx.close()]);
        certs.cleanup();
      }
    });
  });
}

describe("egress proxy and the destination guard", () => {
  it("resolves and checks the target before asking the proxy: a name with any refused address never reaches the proxy", async () => {
    // 127.0.0.2 stands in for a public address (allow-listed); 127.0.0.1 is refused.
    const rx = await startReceiver(undefined, 0, "127.0.0.2");
    const proxy = await startConnectProxy((host) => host.startsWith("127."));
    const dns = await startDnsServer((name) => (name === "inside.test" ? ["127.0.0.1"] : name === "mixed.test" ? ["127.0.0.2", "127.0.0.1"] : []));
    try {
      await withServer(
        {
          TOCSIN_ALLOW_PRIVATE_NETWORKS: "false",
          TOCSIN_ALLOWED_CIDRS: "127.0.0.2/32",
          TOCSIN_DNS_SERVERS: dns.address,
          TOCSIN_PROXIES: `egress=${proxy.url}`,
        },
        async ({ api }) => {
          assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
          const create = async (url: string, viaProxy: boolean) => {
            const r = await api<Endpoint>("POST", "/v1/tenants/acme/endpoints", { url, eventTypes: [], ...(viaProxy ? { proxy: "egress" } : {}) });
            assert.equal(r.status, 201, JSON.stringify(r.body));
            return (await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${r.body.id}/test`)).body;
          };
          const allowed = await create(`http://127.0.0.2:${rx.port}/ok`, true);
          assert.equal(allowed.response?.status, 200, JSON.stringify(allowed.error));
          assert.deepEqual(proxy.tunnels, [`127.0.0.2:${rx.port}`]);

          for (const name of ["inside.test", "mixed.test"]) {
            const refused = await create(`http://${name}:${rx.port}/no`, true);
            assert.equal(refused.response, null);
            assert.equal(refused.error?.class, "blocked_destination", JSON.stringify(refused.error));
            assert.doesNotMatch(refused.error!.message, /127\.0\.0\.1/, "the tenant is not told the internal address");
          }
          assert.deepEqual(proxy.tunnels, [`127.0.0.2:${rx.port}`], "the proxy was never asked for a refused target");
          // Direct, a connection goes to the address that was checked, so one permitted address is enough.
          const directMixed = await create(`http://mixed.test:${rx.port}/direct`, false);
          assert.equal(directMixed.response?.status, 200, JSON.stringify(directMixed.error));
          assert.equal(rx.requests.length, 2);
        },
      );
    } finally {
      await Promise.all([rx.close(), proxy.close(), dns.close()]);
    }
  });
});

describe("egress proxy per endpoint: the CLI", () => {
  it("endpoint add and update set, show and clear the proxy with --proxy and --no-proxy; a tenant key is refused", { timeout: 90_000 }, async () => {
    await withServer({ TOCSIN_PROXIES: "eu-static=http://u:p@127.0.0.1:9,us-static=http://127.0.0.1:9" }, async ({ url, apiKey, api }) => {
      const run = async (args: string[], code = 0, key = apiKey) => {
        const r = await runCli(args, { TOCSIN_URL: url, TOCSIN_API_KEY: key });
        assert.equal(r.code, code, `tocsin ${args.join(" ")} -> ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
        return r;
      };
      await run(["tenant", "create", "--id", "acme"]);
      const add = await run(["endpoint", "add", "--tenant", "acme", "--proxy", "eu-static", "http://127.0.0.1:9/x"]);
      assert.match(add.out, /egress proxy\s+eu-static\n/);
      const id = /created endpoint (ep_\w+) -> /.exec(add.out)![1]!;
      const proxy = async () => (await api<{ proxy: string | null }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.proxy;
      assert.equal(await proxy(), "eu-static");
      await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--proxy", "us-static"]);
      assert.equal(await proxy(), "us-static");
      const cleared = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--no-proxy"]);
      assert.doesNotMatch(cleared.out, /egress proxy/);
      assert.equal(await proxy(), null);

      const both = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--proxy", "eu-static", "--no-proxy"], 2);
      assert.match(both.err, /--proxy and --no-proxy cannot be combined/);
      const unknown = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--proxy", "ap-static"], 1);
      assert.match(unknown.err, /\/proxy: must be null or the name of a configured proxy: eu-static, us-static/);
      const key = (await api<{ key: string }>("POST", "/v1/tenants/acme/keys", { name: "ci", scopes: ["endpoints:write", "read"] })).body.key;
      const tenant = await run(["endpoint", "update", "--tenant", "acme", "--id", id, "--proxy", "eu-static"], 1, key);
      assert.match(tenant.err, /\/proxy: only an admin key may choose the endpoint's egress proxy/);
      assert.equal(await proxy(), null);
    });
  });
});

const missingBrowser = browserMissing("egress-proxy console");

describe("egress proxy per endpoint: the console", { skip: missingBrowser ?? false, timeout: 180_000 }, () => {
  it("offers admins a Proxy select of the configured names, and shows others the choice as text they cannot change", async () => {
    const built = await builtConsole();
    const server = await startServer({ TOCSIN_CONSOLE_DIR: built.dir, TOCSIN_PROXIES: "eu-static=http://u:secretpw@127.0.0.1:9,us-static=http://127.0.0.1:9" });
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      assert.equal((await server.api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      await page.goto(`${server.url}/`);
      await page.getByLabel("API key").fill(server.apiKey);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Tenants" }).waitFor();
      await page.goto(`${server.url}/tenants/acme/endpoints/new`);
      await page.getByLabel("URL").fill("https://hooks.example/eu");
      const select = page.getByLabel("Proxy", { exact: true });
      const options = await select.locator("option").allInnerTexts();
      assert.deepEqual(options, ["Default (TOCSIN_EGRESS_PROXY, or direct)", "eu-static", "us-static"]);
      await select.selectOption("eu-static");
      await page.getByRole("button", { name: "Add webhook" }).click();
      await page.locator("#saved-note").getByText("Webhook added.").waitFor();
      const id = new URL(page.url()).pathname.split("/")[4]!;
      assert.equal((await server.api<{ proxy: string | null }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.proxy, "eu-static");
      await page.goto(`${server.url}/tenants/acme/endpoints/${id}/settings`);
      const row = page.locator("dl.kv-list > div", { has: page.locator("dt", { hasText: /^Egress proxy$/ }) });
      assert.equal(await row.locator("dd").innerText(), "eu-static");

      // A portal session sees the operator's choice as text, and saving other changes keeps it.
      const portal = await server.api<{ url: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 600 });
      const customer = await browser.context.newPage();
      browser.watch(customer);
      await customer.goto(portal.body.url);
      await customer.getByRole("heading", { name: "Integrations" }).waitFor();
      await customer.goto(`${server.url}/tenants/acme/endpoints/${id}/edit`);
      assert.match(await customer.getByTestId("proxy-readonly").innerText(), /Egress proxy: eu-static/);
      assert.equal(await customer.getByLabel("Proxy", { exact: true }).count(), 0);
      await customer.getByLabel("Name", { exact: true }).fill("EU customer");
      await customer.getByRole("button", { name: "Save changes" }).click();
      await customer
        .locator("#saved-note")
        .getByText(/^✓ Saved at /)
        .waitFor();
      const saved = (await server.api<{ name: string; proxy: string | null }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body;
      assert.deepEqual([saved.name, saved.proxy], ["EU customer", "eu-static"]);
      await customer.close();
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
      removeBuilt(built);
    }
  });
});
