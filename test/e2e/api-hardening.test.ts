import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { describe, it } from "node:test";
import { createTocsinClient } from "../../packages/client/src/index.ts";
import { withServer } from "../support/server.ts";

// The API's own defences that no route declares: failed authentications limited per address,
// request and header timeouts, portal links only from a sound Host, and path-safe identifiers.

function raw(
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, setHost: !("host" in headers), timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Opens a connection, writes `head`, then one byte of `trickle` every `everyMs`; resolves when the
 * server closes the connection, with what it answered and how many trickled bytes it took.
 */
function trickle(base: URL, head: string, trickled: string, everyMs: number): Promise<{ answer: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(base.port), base.hostname);
    let answer = "";
    let sent = 0;
    let timer: NodeJS.Timeout | null = null;
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (answer += c));
    socket.on("error", () => {
      // A reset after the answer is the server closing on us: the same outcome as "close".
    });
    socket.on("close", () => {
      if (timer) clearInterval(timer);
      resolve({ answer, sent });
    });
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= trickled.length) {
          clearInterval(timer!);
          socket.destroy();
          reject(new Error(`the server kept the connection open for all ${trickled.length} trickled bytes`));
          return;
        }
        socket.write(trickled[sent++]);
      }, everyMs);
    });
  });
}

describe("API hardening", () => {
  it("answers 429 with Retry-After to an address past its failed authentications, and still serves a valid key from it", async () => {
    await withServer({ TOCSIN_AUTH_FAILURE_LIMIT: "5" }, async ({ url, apiKey }) => {
      const base = new URL(url);
      const bad = { authorization: "Bearer tsk_not-a-real-key" };
      for (let i = 0; i < 5; i++) assert.equal((await raw(base, "GET", "/v1/tenants", bad)).status, 401, `failure ${i + 1}`);
      const limited = await raw(base, "GET", "/v1/tenants", bad);
      assert.equal(limited.status, 429, limited.text);
      assert.equal(JSON.parse(limited.text).code, "rate_limited");
      const wait = Number(limited.headers["retry-after"]);
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${limited.headers["retry-after"]}`);
      // No key at all counts as a failure too.
      assert.equal((await raw(base, "GET", "/v1/tenants", {})).status, 429);
      // Forwarded addresses are not believed without TOCSIN_TRUST_PROXY: a client cannot pose as another.
      assert.equal((await raw(base, "GET", "/v1/tenants", { ...bad, "x-forwarded-for": "203.0.113.9" })).status, 429);
      // The holder of a real key is never locked out by somebody else's guesses from the same address.
      assert.equal((await raw(base, "GET", "/v1/tenants", { authorization: `Bearer ${apiKey}` })).status, 200);
      // Public routes are not behind it.
      assert.equal((await raw(base, "GET", "/healthz", bad)).status, 200);
    });
  });

  it("counts encoded spellings of an API path against the key's rate limit like the path itself", async () => {
    await withServer({ TOCSIN_RATE_LIMIT: "3" }, async ({ url, apiKey }) => {
      const base = new URL(url);
      const key = { authorization: `Bearer ${apiKey}` };
      const statuses: number[] = [];
      for (const path of ["/v%31/tenants", "/%761/tenants", "/%76%31/tenants", "/v1/tenant%73", "/v%31/tenants"])
        statuses.push((await raw(base, "GET", path, key)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      // Public routes are outside it.
      assert.equal((await raw(base, "GET", "/healthz", {})).status, 200);
    });
  });

  it("tells client addresses apart by X-Forwarded-For only behind a trusted proxy", async () => {
    await withServer({ TOCSIN_AUTH_FAILURE_LIMIT: "2", TOCSIN_TRUST_PROXY: "loopback" }, async ({ url }) => {
      const base = new URL(url);
      const from = (ip: string) => ({ authorization: "Bearer nope", "x-forwarded-for": ip });
      for (let i = 0; i < 2; i++) assert.equal((await raw(base, "GET", "/v1/tenants", from("203.0.113.1"))).status, 401);
      assert.equal((await raw(base, "GET", "/v1/tenants", from("203.0.113.1"))).status, 429);
      // Another client behind the same proxy has its own count.
      assert.equal((await raw(base, "GET", "/v1/tenants", from("203.0.113.2"))).status, 401);
    });
  });

  it("closes a connection that trickles its body or its headers, with 408", async () => {
    await withServer({ TOCSIN_API_REQUEST_TIMEOUT: "1s", TOCSIN_API_HEADERS_TIMEOUT: "500ms" }, async ({ url, api, apiKey }) => {
      assert.equal((await api("POST", "/v1/tenants", { id: "t" })).status, 201);
      const base = new URL(url);
      // A body of 200 bytes, one byte every 100 ms: 20 s if the server waited for all of it.
      const body = `{"type":"x","payload":"${"a".repeat(175)}"}`;
      assert.equal(body.length, 200);
      const slowBody = await trickle(
        base,
        `POST /v1/tenants/t/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
        100,
      );
      assert.match(slowBody.answer, /^HTTP\/1\.1 408 /);
      assert.ok(slowBody.sent < body.length, `${slowBody.sent} bytes`);
      // Headers that never end: one character every 100 ms of a header 200 characters long.
      const slowHeaders = await trickle(base, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", "b".repeat(200), 100);
      assert.match(slowHeaders.answer, /^HTTP\/1\.1 408 /);
      assert.ok(slowHeaders.sent < 200, `${slowHeaders.sent} bytes`);
      // The server still answers others.
      assert.equal((await raw(base, "GET", "/healthz", {})).status, 200);
    });
  });

  it("builds portal links only from a plain Host, and always from TOCSIN_PUBLIC_URL when set", async () => {
    await withServer({}, async ({ url, api, apiKey }) => {
      const base = new URL(url);
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const open = (host: string) =>
        raw(base, "POST", "/v1/tenants/acme/portal-sessions", { host, authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, "{}");
      for (const host of ["a@evil.example", "evil.example/x", "evil.example#", "evil.example?x", "evil example", "evil.example:99999999"]) {
        const r = await open(host);
        // Node's parser refuses some of these itself (400 either way); none gets a link.
        assert.equal(r.status, 400, `${host}: ${r.text}`);
        assert.doesNotMatch(r.text, /portal#token/, host);
      }
      for (const host of ["hooks.example.com", "hooks.example.com:8443", "127.0.0.1:3000", "[::1]:3000"]) {
        const r = await open(host);
        assert.equal(r.status, 201, `${host}: ${r.text}`);
        assert.ok(String(JSON.parse(r.text).url).startsWith(`http://${host}/portal#token=tsp_`), r.text);
      }
    });
    await withServer({ TOCSIN_PUBLIC_URL: "https://hooks.example.com" }, async ({ url, api, apiKey }) => {
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const r = await raw(
        new URL(url),
        "POST",
        "/v1/tenants/acme/portal-sessions",
        { host: "a@evil.example", authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        "{}",
      );
      assert.equal(r.status, 201, r.text);
      assert.ok(String(JSON.parse(r.text).url).startsWith("https://hooks.example.com/portal#token="), r.text);
    });
  });

  it("refuses . and .. as tenant ids and fingerprints, and the client refuses them as path parameters", async () => {
    await withServer({}, async ({ url, api, apiKey }) => {
      for (const id of [".", ".."]) {
        const r = await api("POST", "/v1/tenants", { id });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.deepEqual((r.body as { errors: { path: string; message: string }[] }).errors, [
          { path: "/id", message: 'must be 1 to 128 of A-Z a-z 0-9 . _ : -, and not "." or ".."' },
        ]);
      }
      // Dots are fine inside an id.
      assert.equal((await api("POST", "/v1/tenants", { id: "a.b" })).status, 201);
      assert.equal((await api("POST", "/v1/tenants", { id: "..." })).status, 201);
      for (const fingerprint of [".", ".."]) {
        const e = await api("POST", "/v1/tenants/a.b/events", { type: "x.y", fingerprint, payload: {} });
        assert.equal(e.status, 400, JSON.stringify(e.body));
        assert.deepEqual((e.body as { errors: { path: string; message: string }[] }).errors, [
          { path: "/fingerprint", message: 'must not be "." or "..", which URLs fold away as dot segments' },
        ]);
        const am = await api("POST", "/v1/tenants/a.b/ingest/alertmanager", {
          version: "4",
          status: "firing",
          alerts: [{ status: "firing", labels: { alertname: "x" }, fingerprint }],
        });
        assert.equal(am.status, 400, JSON.stringify(am.body));
      }
      const client = createTocsinClient({ baseUrl: url, apiKey });
      await assert.rejects(client.GET("/v1/tenants/{tenant}/keys", { params: { path: { tenant: ".." } } }), /may not be "\.\."/);
      await assert.rejects(
        client.GET("/v1/tenants/{tenant}/alerts/{fingerprint}", { params: { path: { tenant: "a.b", fingerprint: "." } } }),
        /may not be "\."/,
      );
      const fine = await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "..." } } });
      assert.equal(fine.response.status, 200);
    });
  });
});
