import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { startConnectProxy } from "../support/connect-proxy.ts";
import { startDnsServer } from "../support/dns-server.ts";
import { startReceiver } from "../support/receiver.ts";
import { type Api, createApi, eventually, withServer } from "../support/server.ts";

// The destination guard end to end, on loopback only: 127.0.0.2 stands in for "a public address"
// by being allow-listed (TOCSIN_ALLOWED_CIDRS), while 127.0.0.1 stays refused.

type TestCall = { response: { status: number } | null; error: { class: string; message: string } | null };
type Problem = { errors: { path: string; message: string }[] };

async function tenant(api: Api) {
  assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
}

describe("destination guard", () => {
  it("refuses literal non-global addresses in any notation when an endpoint is saved", async () => {
    await withServer({ TOCSIN_ALLOW_PRIVATE_NETWORKS: "false" }, async ({ api }) => {
      await tenant(api);
      for (const url of [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
      ]) {
        const r = await api<Problem>("POST", "/v1/tenants/acme/endpoints", { url, eventTypes: ["*"] });
        assert.equal(r.status, 400, `${url} -> ${r.status}`);
        assert.equal(r.body.errors[0].path, "/url");
        assert.match(r.body.errors[0].message, /not a global address/, url);
      }
    });
  });

  it("blocks a host name that resolves to loopback at the attempt, before any byte is sent", async () => {
    const rx = await startReceiver();
    try {
      await withServer({ TOCSIN_ALLOW_PRIVATE_NETWORKS: "false" }, async ({ api }) => {
        await tenant(api);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `http://localhost:${rx.port}/h`, eventTypes: ["*"] });
        assert.equal(ep.status, 201, "names are checked when they are resolved, not when saved");
        const r = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`);
        assert.equal(r.body.response, null);
        assert.equal(r.body.error?.class, "blocked_destination", JSON.stringify(r.body.error));
        await api("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
        const attempt = await eventually(async () => {
          const l = await api<{ data: { id: string; attemptCount: number }[] }>("GET", "/v1/tenants/acme/deliveries");
          const d = l.body.data[0];
          return d && d.attemptCount > 0
            ? (await api<{ attempts: { errorClass: string }[] }>("GET", `/v1/tenants/acme/deliveries/${d.id}`)).body.attempts[0]
            : null;
        });
        assert.equal(attempt.errorClass, "blocked_destination");
        assert.equal(rx.requests.length, 0);
      });
    } finally {
      await rx.close();
    }
  });

  it("warns when a saved host name resolves to a refused address: operators see the address, tenants and portal users a sentence", async () => {
    const dns = await startDnsServer((name) => (name === "internal.test" ? ["10.1.2.3"] : name === "public.test" ? ["127.0.0.2"] : []));
    try {
      await withServer(
        { TOCSIN_ALLOW_PRIVATE_NETWORKS: "false", TOCSIN_ALLOWED_CIDRS: "127.0.0.2/32", TOCSIN_DNS_SERVERS: dns.address },
        async ({ api, url }) => {
          await tenant(api);
          type Saved = { id: string; warnings: string[] };
          const created = await api<Saved>("POST", "/v1/tenants/acme/endpoints", { url: "http://internal.test/h", eventTypes: ["*"] });
          assert.equal(created.status, 201, "a name is not refused on save: it may resolve elsewhere by delivery time");
          const [operator] = created.body.warnings;
          assert.match(operator ?? "", /^url: internal\.test resolves to 10\.1\.2\.3, a private or reserved address/, JSON.stringify(created.body.warnings));
          // GET does not resolve names: the warning belongs to the save.
          assert.deepEqual((await api<Saved>("GET", `/v1/tenants/acme/endpoints/${created.body.id}`)).body.warnings, []);

          const key = (await api<{ key: string }>("POST", "/v1/tenants/acme/keys", { name: "ci", scopes: ["endpoints:write", "read"] })).body.key;
          const portal = (await api<{ token: string }>("POST", "/v1/tenants/acme/portal-sessions", { ttlSeconds: 600 })).body.token;
          for (const [who, as] of [
            ["tenant key", createApi(url, key)],
            ["portal user", createApi(url, portal)],
          ] as const) {
            const patched = await as<Saved>("PATCH", `/v1/tenants/acme/endpoints/${created.body.id}`, { name: who });
            assert.equal(patched.status, 200, JSON.stringify(patched.body));
            const text = patched.body.warnings.join("\n");
            assert.match(text, /internal\.test resolves to a private or reserved address/, who);
            assert.doesNotMatch(text, /10\.1\.2\.3|TOCSIN_/, `${who} is not told internal addresses or settings`);
          }

          const unknown = await api<Saved>("POST", "/v1/tenants/acme/endpoints", { url: "http://nowhere.test/h", eventTypes: ["*"] });
          assert.deepEqual(unknown.body.warnings, ["url: nowhere.test does not resolve (no such name): deliveries will fail until it does"]);
          const fine = await api<Saved>("POST", "/v1/tenants/acme/endpoints", { url: "http://public.test/h", eventTypes: ["*"] });
          assert.deepEqual(fine.body.warnings, []);
        },
      );
    } finally {
      await dns.close();
    }
  });

  it("TOCSIN_ALLOWED_CIDRS opens exactly the listed blocks", async () => {
    const allowed = await startReceiver(() => ({}), 0, "127.0.0.2");
    try {
      await withServer({ TOCSIN_ALLOW_PRIVATE_NETWORKS: "false", TOCSIN_ALLOWED_CIDRS: "127.0.0.2/32, fd12::/16" }, async ({ api }) => {
        await tenant(api);
        const ok = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `${allowed.url}/h`, eventTypes: ["*"] });
        assert.equal(ok.status, 201, JSON.stringify(ok.body));
        assert.equal((await api("POST", "/v1/tenants/acme/endpoints", { url: "http://[fd12::1]/", eventTypes: ["*"] })).status, 201);
        assert.equal((await api("POST", "/v1/tenants/acme/endpoints", { url: `http://127.0.0.1:${allowed.port}/`, eventTypes: ["*"] })).status, 400);
        assert.equal((await api("POST", "/v1/tenants/acme/endpoints", { url: "http://[fd13::1]/", eventTypes: ["*"] })).status, 400);
        const r = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${ok.body.id}/test`);
        assert.equal(r.body.response?.status, 200, JSON.stringify(r.body.error));
      });
    } finally {
      await allowed.close();
    }
  });

  it("DNS rebinding: an answer that flips from an allowed address to loopback never reaches loopback", async () => {
    // Both receivers on one port: the allowed one on 127.0.0.2, the forbidden one on 127.0.0.1.
    const good = await startReceiver(() => ({ headers: { connection: "close" } }), 0, "127.0.0.2");
    const forbidden = await startReceiver(() => ({}), good.port, "127.0.0.1");
    // Query 1 is the save's own check (a warning, not a guard); query 2 is the first test call's.
    const dns = await startDnsServer((name, n) => (name === "rebind.test" && n <= 2 ? ["127.0.0.2"] : ["127.0.0.1"]));
    try {
      await withServer({ TOCSIN_ALLOW_PRIVATE_NETWORKS: "false", TOCSIN_ALLOWED_CIDRS: "127.0.0.2/32", TOCSIN_DNS_SERVERS: dns.address }, async ({ api }) => {
        await tenant(api);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `http://rebind.test:${good.port}/h`, eventTypes: ["*"] });
        assert.equal(ep.status, 201);
        const first = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`);
        assert.equal(first.body.response?.status, 200, JSON.stringify(first.body.error));
        assert.equal(good.requests.length, 1);
        // The receiver closed the connection, so the next request resolves again and gets loopback.
        const second = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`);
        assert.equal(second.body.response, null);
        assert.equal(second.body.error?.class, "blocked_destination", JSON.stringify(second.body.error));
        // The tenant learns that the name is refused, not which internal address it resolves to.
        assert.match(second.body.error!.message, /rebind\.test resolves to a private or reserved address/);
        assert.doesNotMatch(second.body.error!.message, /127\.0\.0\.1/);
        await api("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
        await eventually(async () => (await api<{ data: { attemptCount: number }[] }>("GET", "/v1/tenants/acme/deliveries")).body.data[0]?.attemptCount > 0);
        assert.equal(forbidden.requests.length, 0, "nothing reached the loopback receiver");
        // One resolution per connection (after the save's): the address checked is the address connected to.
        const aQueries = dns.queries.filter((q) => q.name === "rebind.test" && q.type === "A");
        assert.equal(aQueries.length, 4, JSON.stringify(dns.queries));
      });
    } finally {
      await Promise.all([good.close(), forbidden.close(), dns.close()]);
    }
  });

  it("TOCSIN_EGRESS_PROXY sends every request through the proxy with CONNECT", async () => {
    const rx = await startReceiver();
    // A real egress proxy applies its own rules; this one allows only the test receiver.
    const proxy = await startConnectProxy((host, port) => host === "127.0.0.1" && port === rx.port);
    const { tunnels } = proxy;
    const proxyUrl = proxy.url;
    try {
      await withServer({ TOCSIN_EGRESS_PROXY: proxyUrl }, async ({ api }) => {
        await tenant(api);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/via-proxy`, eventTypes: ["*"] });
        const denied = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: "http://127.0.0.1:9/denied", eventTypes: [] });
        const r = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`);
        assert.equal(r.body.response?.status, 200, JSON.stringify(r.body.error));
        await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 1 } });
        await rx.waitFor(2);
        assert.ok(tunnels.length >= 1 && tunnels.every((t) => t === `127.0.0.1:${rx.port}`), JSON.stringify(tunnels));
        const refused = await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${denied.body.id}/test`);
        assert.equal(refused.body.response, null, "the proxy's refusal is a failed attempt");
        assert.ok(refused.body.error, JSON.stringify(refused.body));
        assert.ok(tunnels.includes("127.0.0.1:9"), "the request went to the proxy, not straight to the target");
      });
    } finally {
      await proxy.close();
      await rx.close();
    }
  });

  it("reads at most 16 KiB of a receiver's answer and then drops the connection", async () => {
    let written = 0;
    let closed = false;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        // Write until the client goes away (bounded: 64 MiB at most).
        while (!closed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => {
        closed = true;
      });
      pump();
    });
    await new Promise<void>((r) => endless.listen(0, "127.0.0.1", r));
    try {
      await withServer({}, async ({ api }) => {
        await tenant(api);
        const port = (endless.address() as AddressInfo).port;
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", { url: `http://127.0.0.1:${port}/big`, eventTypes: ["*"] });
        const r = await api<{ response: { status: number; body: string } }>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`);
        assert.equal(r.body.response.status, 200);
        assert.equal(r.body.response.body.length, 16 * 1024);
        await eventually(async () => closed, 5000, "the receiver to see the connection dropped");
        assert.ok(written < 16 * 1024 * 1024, `the receiver wrote ${written} bytes before the connection was dropped`);
      });
    } finally {
      endless.closeAllConnections();
      await new Promise<void>((r) => endless.close(() => r()));
    }
  });
});
