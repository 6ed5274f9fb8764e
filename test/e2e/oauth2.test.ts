import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { backendEnv, testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { startDnsServer } from "../support/dns-server.ts";
import { pgAvailable } from "../support/pg.ts";
import { startReceiver } from "../support/receiver.ts";
import { type Api, type ChildServer, eventually, loggedLines, spawnRole, spawnServer, tempDir, withServer } from "../support/server.ts";

// auth.type oauth2 end to end: a token server on loopback written here after RFC 6749 §4.4
// (client credentials, HTTP Basic client authentication), a receiver that wants its bearer
// tokens, and the real server as a child process whose log is read for secrets.

const BACKENDS = await testBackends();

type Mode = "ok" | "400" | "500" | "badjson";

interface TokenServer {
  url: string;
  /** Token requests as they arrived. */
  requests: { authorization: string | undefined; contentType: string | undefined; form: URLSearchParams }[];
  issued: string[];
  mode: Mode;
  /** expires_in of the next tokens (undefined: not sent). */
  expiresIn: number | undefined;
  close(): Promise<void>;
}

/** RFC 6749 §4.4: checks the Basic client credentials (form-urlencoded before base64, §2.3.1) and the grant type. */
async function startTokenServer(clientId: string, clientSecret: string): Promise<TokenServer> {
  const t: TokenServer = { url: "", requests: [], issued: [], mode: "ok", expiresIn: 3600, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      t.requests.push({ authorization: req.headers.authorization, contentType: req.headers["content-type"], form });
      const json = (status: number, doc: unknown) => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(doc));
      };
      if (t.mode === "500") return json(500, { error: "server_error" });
      if (t.mode === "400") return json(400, { error: "invalid_client", error_description: "client authentication failed" });
      const [id, secret] = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64")
        .toString("utf8")
        .split(":")
        .map((p) => decodeURIComponent(p.replace(/\+/g, " ")));
      if (req.method !== "POST" || id !== clientId || secret !== clientSecret) return json(401, { error: "invalid_client" });
      if (form.get("grant_type") !== "client_credentials") return json(400, { error: "unsupported_grant_type" });
      if (t.mode === "badjson") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("{not json");
      }
      const token = `tok-${t.issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      t.issued.push(token);
      json(200, { access_token: token, token_type: "bearer", ...(t.expiresIn !== undefined ? { expires_in: t.expiresIn } : {}), scope: form.get("scope") });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  t.close = () => new Promise((r) => server.close(() => r()));
  return t;
}

type Attempt = {
  attemptNo: number;
  statusCode: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  request: { headers: Record<string, string> } | null;
};
type Delivery = { id: string; status: string; attempts: Attempt[] };

async function attemptsOf(api: Api, eventId: string, n = 1): Promise<Attempt[]> {
  const d = await eventually(async () => {
    const list = await api<{ data: { id: string }[] }>("GET", `/v1/tenants/acme/deliveries?eventId=${eventId}`);
    const id = list.body.data[0]?.id;
    if (!id) return null;
    const got = (await api<Delivery>("GET", `/v1/tenants/acme/deliveries/${id}`)).body;
    return got.attempts.length >= n ? got : null;
  });
  return d.attempts;
}

async function send(api: Api, n: number): Promise<string> {
  const ev = await api<{ id: string }>("POST", "/v1/tenants/acme/events", { type: "alert.fired", payload: { n } });
  assert.equal(ev.status, 202);
  return ev.body.id;
}

const CLIENT_ID = "svc:tocsin alerts";
const CLIENT_SECRET = "cs_Q9+w/e=r%t!y~u";

for (const backend of BACKENDS) {
  describe(`${backend}: OAuth2 client credentials`, () => {
    it("fetches a token once and reuses it, refreshes on expiry and once on a 401, reports token endpoint failures as oauth2, and never shows the token or secret", async () => {
      const tokens = await startTokenServer(CLIENT_ID, CLIENT_SECRET);
      const revoked = new Set<string>();
      const rx = await startReceiver((req) => {
        const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        return tokens.issued.includes(token) && !revoked.has(token) ? { status: 204 } : { status: 401, body: "bad token" };
      });
      const b = await backendEnv(backend);
      const dataDir = tempDir();
      const server = await spawnServer(dataDir, "tsk_oauth2_test_key", { ...b.env, TOCSIN_LOG_LEVEL: "trace", TOCSIN_RETRY_SCHEDULE: "1h" });
      const { api } = server;
      try {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const created = await api<{ id: string; auth: Record<string, unknown> }>("POST", "/v1/tenants/acme/endpoints", {
          url: `${rx.url}/hook`,
          eventTypes: ["*"],
          auth: {
            type: "oauth2",
            tokenUrl: tokens.url,
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            scopes: ["alerts:write", "read"],
            audience: "https://rx.example",
          },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.deepEqual(created.body.auth, {
          type: "oauth2",
          tokenUrl: tokens.url,
          clientId: CLIENT_ID,
          clientSecretSet: true,
          scopes: ["alerts:write", "read"],
          audience: "https://rx.example",
          extraParams: {},
          clientAuth: "basic",
        });
        const ep = created.body.id;

        // Three deliveries, one token request.
        for (let i = 1; i <= 3; i++) {
          await send(api, i);
          await rx.waitFor(i);
        }
        assert.equal(tokens.requests.length, 1, "later deliveries reuse the token");
        const [first] = tokens.requests;
        assert.equal(first!.contentType, "application/x-www-form-urlencoded");
        assert.equal(first!.form.get("grant_type"), "client_credentials");
        assert.equal(first!.form.get("scope"), "alerts:write read");
        assert.equal(first!.form.get("audience"), "https://rx.example");
        assert.equal(first!.form.get("client_secret"), null, "client_secret_basic: the secret is not in the form");
        for (const r of rx.requests) assert.equal(r.headers.authorization, `Bearer ${tokens.issued[0]}`);

        // The receiver refuses the token: one new token and one resend, in the same attempt.
        revoked.add(tokens.issued[0]!);
        tokens.expiresIn = 1;
        const refused = await send(api, 4);
        const [a4] = await attemptsOf(api, refused);
        assert.equal(a4!.statusCode, 204, JSON.stringify(a4));
        assert.equal(a4!.attemptNo, 1);
        assert.equal(tokens.requests.length, 2);
        assert.deepEqual(
          rx.requests.slice(3).map((r) => r.headers.authorization),
          [`Bearer ${tokens.issued[0]}`, `Bearer ${tokens.issued[1]}`],
        );
        assert.equal(a4!.request?.headers.authorization, "Bearer [redacted]");

        // That token said expires_in 1: past it, the next delivery fetches another.
        await new Promise((r) => setTimeout(r, 1200));
        tokens.expiresIn = undefined;
        await send(api, 5);
        await rx.waitFor(6);
        assert.equal(tokens.requests.length, 3, "an expired token is replaced");
        assert.equal(rx.requests[5]!.headers.authorization, `Bearer ${tokens.issued[2]}`);

        // A settings change drops the token; the token endpoint's failures are the attempt's, class oauth2, nothing sent.
        assert.equal((await api("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { auth: { audience: "https://rx2.example" } })).status, 200);
        const failures: [Mode, RegExp][] = [
          ["400", /^token endpoint answered HTTP 400 invalid_client: client authentication failed$/],
          ["500", /^token endpoint answered HTTP 500 server_error$/],
          ["badjson", /^token endpoint answered HTTP 200 without a JSON object/],
        ];
        for (const [mode, message] of failures) {
          tokens.mode = mode;
          const before: number = tokens.requests.length;
          const [a] = await attemptsOf(api, await send(api, 6));
          assert.equal(a!.errorClass, "oauth2", mode);
          assert.match(a!.errorMessage ?? "", message);
          assert.equal(a!.statusCode, null);
          assert.equal(a!.request, null, "nothing was sent to the receiver");
          assert.equal(tokens.requests.length, before + 1, "a failed token request is not cached");
        }
        assert.equal(rx.requests.length, 6, "the receiver got nothing while no token could be had");

        // Another token URL needs the secret again; an unreachable one is an oauth2 failure too.
        const closed = createServer();
        await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
        const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/token`;
        await new Promise((r) => closed.close(r));
        const moved = await api<{ errors: { path: string }[] }>("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { auth: { tokenUrl: deadUrl } });
        assert.equal(moved.status, 400);
        assert.equal(moved.body.errors[0]!.path, "/auth/clientSecret");
        const again = await api("PATCH", `/v1/tenants/acme/endpoints/${ep}`, { auth: { tokenUrl: deadUrl, clientSecret: CLIENT_SECRET } });
        assert.equal(again.status, 200, JSON.stringify(again.body));
        const [dead] = await attemptsOf(api, await send(api, 7));
        assert.equal(dead!.errorClass, "oauth2");
        assert.match(dead!.errorMessage ?? "", /^token endpoint unreachable: connect: ECONNREFUSED/);

        // Neither the tokens nor the secret appear in the log, the attempts or the API's answers.
        const shown = [
          JSON.stringify((await api("GET", `/v1/tenants/acme/endpoints/${ep}`)).body),
          JSON.stringify((await api("GET", "/v1/tenants/acme/endpoints")).body),
          JSON.stringify((await api("GET", "/v1/tenants/acme/deliveries?limit=100")).body),
          JSON.stringify(await attemptsOf(api, refused)),
          server.output.join("\n"),
        ].join("\n");
        assert.ok(server.output.length > 10, "the log was read");
        assert.equal(tokens.issued.length, 3);
        for (const secret of [...tokens.issued, CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET)]) {
          assert.ok(!shown.includes(secret), `${secret.slice(0, 6)}… is not shown`);
        }
        if (backend === "sqlite") {
          // The tokens shared in the meta table are there only encrypted: the database files never hold one in clear.
          const files = readdirSync(dataDir).filter((f) => f.startsWith("tocsin.db"));
          const bytes = files.map((f) => readFileSync(join(dataDir, f)).toString("latin1")).join("\n");
          assert.ok(bytes.includes(`oauth2:${ep}`), `the shared token's row is in ${files.join(", ")}`);
          for (const token of tokens.issued) assert.ok(!bytes.includes(token), `${token.slice(0, 6)}… is not in the database files in clear`);
        }
      } finally {
        server.child.kill("SIGTERM");
        await server.exited;
        rmSync(dataDir, { recursive: true, force: true });
        await b.drop();
        await Promise.all([tokens.close(), rx.close()]);
      }
    });
  });
}

describe("postgres: OAuth2 tokens shared between workers", { skip: (await pgAvailable()) ? false : "PostgreSQL does not answer" }, () => {
  it("a second worker process uses the token the first fetched, read from the database where it is stored encrypted", { timeout: 90_000 }, async () => {
    const tokens = await startTokenServer(CLIENT_ID, CLIENT_SECRET);
    const rx = await startReceiver((req) => (tokens.issued.some((t) => req.headers.authorization === `Bearer ${t}`) ? { status: 204 } : { status: 401 }));
    const db = await backendEnv("postgres");
    const dir = tempDir();
    const env = { ...db.env, TOCSIN_LOG_LEVEL: "trace", TOCSIN_RETRY_SCHEDULE: "1h" };
    const children: ChildServer[] = [];
    const meta = new pg.Client({ connectionString: db.env.TOCSIN_DATABASE_URL });
    await meta.connect();
    try {
      const api = await spawnRole("api", dir, "tsk_oauth2_shared", env);
      children.push(api);
      assert.equal((await api.api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const created = await api.api<{ id: string; version: number }>("POST", "/v1/tenants/acme/endpoints", {
        url: `${rx.url}/hook`,
        eventTypes: ["*"],
        auth: { type: "oauth2", tokenUrl: tokens.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const key = `oauth2:${created.body.id}`;
      const stored = async () => (await meta.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key])).rows[0]?.value ?? null;

      // The first worker fetches the token and shares it; then it stops, and only the second one delivers.
      const first = await spawnRole("worker", dir, "tsk_oauth2_shared", env);
      children.push(first);
      await send(api.api, 1);
      await rx.waitFor(1);
      const value = await eventually(stored, 10_000, "the shared token in the meta table");
      first.child.kill("SIGTERM");
      await first.exited;
      const second = await spawnRole("worker", dir, "tsk_oauth2_shared", env);
      children.push(second);
      for (let i = 2; i <= 4; i++) await send(api.api, i);
      await rx.waitFor(4);

      assert.equal(tokens.requests.length, 1, "one token request for both workers");
      assert.deepEqual(
        rx.requests.map((r) => r.headers.authorization),
        Array.from({ length: 4 }, () => `Bearer ${tokens.issued[0]}`),
      );
      // The second worker delivered the last three (its log says so once each is answered).
      await eventually(async () => loggedLines(second, /^delivered$/).length === 3, 10_000, "the second worker's three deliveries");
      // Stored encrypted (the secret box's form), with the endpoint's version and expiry beside it.
      const doc = JSON.parse(value) as { version: number; expiresAt: number; token: string };
      assert.equal(doc.version, created.body.version);
      assert.ok(doc.expiresAt > Date.now() + 3_000_000, "expires_in 3600 s");
      assert.match(doc.token, /^v2:[0-9a-f]{16}:/);
      const table = (await meta.query<{ dump: string }>("SELECT string_agg(key || '=' || value, E'\\n') AS dump FROM meta")).rows[0]!.dump;
      assert.ok(table.includes(key), "the scan sees the shared token's row");
      const log = children.map((c) => c.output.join("\n")).join("\n");
      for (const secret of [tokens.issued[0]!, CLIENT_SECRET]) {
        assert.ok(!table.includes(secret), `${secret.slice(0, 6)}… is not in the meta table in clear`);
        assert.ok(!log.includes(secret), `${secret.slice(0, 6)}… is not logged`);
      }
    } finally {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGTERM");
      await Promise.all(children.map((c) => c.exited));
      await meta.end();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
      await Promise.all([tokens.close(), rx.close()]);
    }
  });
});

describe("OAuth2 client credentials: settings", () => {
  it("refuses bad oauth2 settings with a 400 naming the field, and keeps the secret write-only", async () => {
    await withServer({}, async ({ api }) => {
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const good = { type: "oauth2", tokenUrl: "https://login.example/token", clientId: "id", clientSecret: "secret" };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...good, tokenUrl: undefined }, "/auth/tokenUrl"],
        [{ ...good, tokenUrl: "ftp://login.example/token" }, "/auth/tokenUrl"],
        [{ ...good, tokenUrl: "https://u:p@login.example/token" }, "/auth/tokenUrl"],
        [{ ...good, tokenUrl: "https://login.example/token#x" }, "/auth/tokenUrl"],
        [{ ...good, tokenUrl: `https://login.example/${"a".repeat(2100)}` }, "/auth/tokenUrl"],
        [{ ...good, clientId: undefined }, "/auth/clientId"],
        [{ ...good, clientId: "a\nb" }, "/auth/clientId"],
        [{ ...good, clientSecret: undefined }, "/auth/clientSecret"],
        [{ ...good, scopes: "read" }, "/auth/scopes"],
        [{ ...good, scopes: ["read", "two words"] }, "/auth/scopes/1"],
        [{ ...good, scopes: Array.from({ length: 33 }, (_, i) => `s${i}`) }, "/auth/scopes"],
        [{ ...good, extraParams: { grant_type: "password" } }, "/auth/extraParams/grant_type"],
        [{ ...good, extraParams: { client_secret: "x" } }, "/auth/extraParams/client_secret"],
        [{ ...good, extraParams: { scope: "x" } }, "/auth/extraParams/scope"],
        [{ ...good, extraParams: { resource: 5 } }, "/auth/extraParams/resource"],
        [{ ...good, extraParams: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, "v"])) }, "/auth/extraParams"],
        [{ ...good, clientAuth: "jwt" }, "/auth/clientAuth"],
        [{ ...good, audience: "" }, "/auth/audience"],
        [{ type: "kerberos" }, "/auth/type"],
      ];
      for (const [auth, path] of cases) {
        const r = await api<{ errors: { path: string }[] }>("POST", "/v1/tenants/acme/endpoints", { url: "https://rx.example/h", eventTypes: ["*"], auth });
        assert.equal(r.status, 400, `${JSON.stringify(auth).slice(0, 200)} -> ${r.status}`);
        assert.match(String(r.headers.get("content-type")), /^application\/problem\+json/);
        assert.equal(r.body.errors[0]?.path, path, JSON.stringify(r.body));
      }
      const r = await api<{ id: string; auth: Record<string, unknown> }>("POST", "/v1/tenants/acme/endpoints", {
        url: "https://rx.example/h",
        eventTypes: ["*"],
        auth: { ...good, extraParams: { resource: "urn:rx" }, clientAuth: "post" },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.auth.clientSecretSet, true);
      assert.equal(r.body.auth.clientSecret, undefined);
      // A PATCH that leaves the secret out keeps it; one to the same token URL needs no secret.
      const p = await api<{ auth: Record<string, unknown> }>("PATCH", `/v1/tenants/acme/endpoints/${r.body.id}`, { auth: { scopes: ["read"] } });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      assert.deepEqual(p.body.auth.scopes, ["read"]);
      assert.equal(p.body.auth.clientSecretSet, true);
      // Moving the endpoint to another origin clears its auth unless given again, secret and all.
      const moved = await api<{ auth: Record<string, unknown>; cleared: string[] }>("PATCH", `/v1/tenants/acme/endpoints/${r.body.id}`, {
        url: "https://other.example/h",
      });
      assert.equal(moved.status, 200);
      assert.deepEqual(moved.body.auth, { type: "none" });
      assert.deepEqual(moved.body.cleared, ["auth"]);
    });
  });

  it("refuses a token URL the destination guard refuses: a private literal on save, a name resolving to one at delivery", async () => {
    const dns = await startDnsServer((name) => (name === "tokens.test" ? ["127.0.0.1"] : []));
    const rx = await startReceiver(() => ({ status: 204 }), 0, "127.0.0.2");
    try {
      await withServer(
        { TOCSIN_ALLOW_PRIVATE_NETWORKS: "false", TOCSIN_ALLOWED_CIDRS: "127.0.0.2/32", TOCSIN_DNS_SERVERS: dns.address, TOCSIN_RETRY_SCHEDULE: "1h" },
        async ({ api }) => {
          assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
          const auth = { type: "oauth2", tokenUrl: "http://127.0.0.1:9/token", clientId: "id", clientSecret: "secret" };
          const literal = await api<{ errors: { path: string; message: string }[] }>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/h`,
            eventTypes: ["*"],
            auth,
          });
          assert.equal(literal.status, 400);
          assert.equal(literal.body.errors[0]?.path, "/auth/tokenUrl");
          const named = await api("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/h`,
            eventTypes: ["*"],
            auth: { ...auth, tokenUrl: "http://tokens.test:9/token" },
          });
          assert.equal(named.status, 201, JSON.stringify(named.body));
          const [a] = await attemptsOf(api, await send(api, 1));
          assert.equal(a!.errorClass, "oauth2");
          assert.match(a!.errorMessage ?? "", /^token endpoint unreachable: blocked_destination: .*tokens\.test resolves to a private or reserved address/);
          assert.equal(rx.requests.length, 0);
        },
      );
    } finally {
      await Promise.all([dns.close(), rx.close()]);
    }
  });

  it("the CLI sets OAuth2 with --oauth2-* flags (the secret from the environment), shows it, and changes scopes alone", async () => {
    await withServer({}, async ({ api, url, apiKey }) => {
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey, OAUTH_SECRET: "cli-oauth-secret" };
      assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
      const add = await runCli(
        [
          "endpoint",
          "add",
          "--tenant",
          "acme",
          "--oauth2-token-url",
          "https://login.example.com/token",
          "--oauth2-client-id",
          "tocsin",
          "--oauth2-client-secret-env",
          "OAUTH_SECRET",
          "--oauth2-scope",
          "alerts:write",
          "--oauth2-scope",
          "read",
          "--oauth2-audience",
          "https://rx.example",
          "https://rx.example/hook",
        ],
        env,
      );
      assert.equal(add.code, 0, add.err);
      assert.match(add.out, /auth\s+oauth2, client tocsin at https:\/\/login\.example\.com\/token, scopes alerts:write read, secret set\n/);
      assert.ok(!add.out.includes("cli-oauth-secret") && !add.err.includes("cli-oauth-secret"));
      const id = /created endpoint (ep_\w+)/.exec(add.out)?.[1];
      assert.ok(id, add.out);
      const up = await runCli(["endpoint", "update", "--tenant", "acme", "--id", id, "--oauth2-scope", "read"], env);
      assert.equal(up.code, 0, up.err);
      const auth = (await api<{ auth: Record<string, unknown> }>("GET", `/v1/tenants/acme/endpoints/${id}`)).body.auth;
      assert.deepEqual(auth, {
        type: "oauth2",
        tokenUrl: "https://login.example.com/token",
        clientId: "tocsin",
        clientSecretSet: true,
        scopes: ["read"],
        audience: "https://rx.example",
        extraParams: {},
        clientAuth: "basic",
      });
      const bad = await runCli(["endpoint", "add", "--tenant", "acme", "--bearer-token", "t", "--oauth2-client-id", "x", "https://rx.example/h"], env);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--oauth2-\* flags cannot be combined with another auth flag/);
      const moved = await runCli(["endpoint", "update", "--tenant", "acme", "--id", id, "--oauth2-token-url", "https://sso.example.net/token"], env);
      assert.equal(moved.code, 1);
      assert.match(moved.err, /auth\/clientSecret/);
    });
  });

  it("the Test call fetches a token too, with client_secret_post and extra parameters", async () => {
    const tokens = await startTokenServer("id", "secret");
    const rx = await startReceiver((req) => (tokens.issued.some((t) => req.headers.authorization === `Bearer ${t}`) ? { status: 200 } : { status: 401 }));
    try {
      await withServer({}, async ({ api }) => {
        assert.equal((await api("POST", "/v1/tenants", { id: "acme" })).status, 201);
        const ep = await api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
          url: `${rx.url}/h`,
          eventTypes: ["*"],
          auth: { type: "oauth2", tokenUrl: tokens.url, clientId: "id", clientSecret: "secret", clientAuth: "post", extraParams: { resource: "urn:rx" } },
        });
        assert.equal(ep.status, 201, JSON.stringify(ep.body));
        // The token server here only takes Basic: it answers 401 to the post form, so the Test reports an oauth2 error.
        const refused = await api<{ error: { class: string; message: string } | null }>("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/test`, {});
        assert.equal(refused.body.error?.class, "oauth2", JSON.stringify(refused.body));
        assert.match(refused.body.error?.message ?? "", /^token endpoint answered HTTP 401 invalid_client/);
        const form = tokens.requests[0]!.form;
        assert.equal(tokens.requests[0]!.authorization, undefined);
        assert.equal(form.get("client_id"), "id");
        assert.equal(form.get("client_secret"), "secret");
        assert.equal(form.get("resource"), "urn:rx");
        assert.equal(form.get("grant_type"), "client_credentials");
        assert.equal(
          (await api("PATCH", `/v1/tenants/acme/endpoints/${ep.body.id}`, { auth: { clientAuth: "basic" } })).status,
          200,
          "back to client_secret_basic",
        );
        const ok = await api<{ response: { status: number } | null; request: { headers: Record<string, string> } }>(
          "POST",
          `/v1/tenants/acme/endpoints/${ep.body.id}/test`,
          {},
        );
        assert.equal(ok.body.response?.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.request.headers.authorization, "Bearer [redacted]");
      });
    } finally {
      await Promise.all([tokens.close(), rx.close()]);
    }
  });
});
