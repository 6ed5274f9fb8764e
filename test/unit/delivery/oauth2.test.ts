import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { createSecretBox } from "../../../src/core/secret-box.ts";
import type { OAuth2Settings, SendResult } from "../../../src/core/types.ts";
import {
  DEFAULT_TOKEN_LIFETIME_MS,
  OAuth2Error,
  type TokenRequest,
  compileOAuth2,
  createTokenCache,
  parseTokenResponse,
  refreshMarginMs,
  sendWithToken,
  sharedTokenKey,
  storeSharedTokens,
} from "../../../src/delivery/oauth2.ts";

// The OAuth2 token cache and token request without a network: a fake `send` answers as told.

const settings = (over: Partial<OAuth2Settings> = {}): OAuth2Settings => ({
  type: "oauth2",
  tokenUrl: "https://login.example/token",
  clientId: "svc a:b",
  scopes: ["alerts:write", "read"],
  audience: "https://rx.example",
  extraParams: { resource: "urn:rx" },
  clientAuth: "basic",
  ...over,
});
const client = (version = 1, over: Partial<OAuth2Settings> = {}) =>
  compileOAuth2("ep_1", version, settings(over), "s3cr%t+/", { connectMs: 1000, requestMs: 1000 }, "Tocsin/test");

const answer = (status: number | null, body: unknown, extra: Partial<SendResult> = {}): SendResult => ({
  startedAt: 0,
  durationMs: 1,
  statusCode: status,
  headers: status === null ? null : {},
  body: typeof body === "string" ? body : JSON.stringify(body),
  errorClass: status === null ? "connect" : status >= 200 && status < 300 ? null : "http_status",
  errorMessage: status === null ? "ECONNREFUSED" : null,
  ...extra,
});

/** A token server that issues tok-1, tok-2, ... with `expiresIn`, answering when `release` is called (or at once). */
function fakeTokenServer(expiresIn: number | undefined = 3600) {
  const requests: TokenRequest[] = [];
  let n = 0;
  const send = async (req: TokenRequest): Promise<SendResult> => {
    requests.push(req);
    await new Promise((r) => setImmediate(r));
    n++;
    return answer(200, { access_token: `tok-${n}`, token_type: "Bearer", ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) });
  };
  return { requests, send };
}

describe("OAuth2 token request", () => {
  it("is a client credentials form with Basic client authentication, the id and secret form-urlencoded first (RFC 6749 §2.3.1)", () => {
    const c = client();
    const form = new URLSearchParams(c.form);
    assert.equal(form.get("grant_type"), "client_credentials");
    assert.equal(form.get("scope"), "alerts:write read");
    assert.equal(form.get("audience"), "https://rx.example");
    assert.equal(form.get("resource"), "urn:rx");
    assert.equal(form.get("client_secret"), null);
    assert.equal(c.headers["content-type"], "application/x-www-form-urlencoded");
    const basic = Buffer.from(c.headers.authorization!.replace(/^Basic /, ""), "base64").toString("utf8");
    assert.equal(basic, "svc+a%3Ab:s3cr%25t%2B%2F");
    assert.deepEqual([c.transport.connectTimeoutMs, c.transport.requestTimeoutMs], [1000, 1000], "the endpoint's timeouts");
    const slow = compileOAuth2("ep_1", 1, settings(), "s", { connectMs: 20_000, requestMs: 15_000 }, "Tocsin/test");
    assert.deepEqual([slow.transport.connectTimeoutMs, slow.transport.requestTimeoutMs], [10_000, 10_000], "at most 10 s each");
  });

  it("with clientAuth post, carries the id and secret in the form and no authorization header", () => {
    const c = client(1, { clientAuth: "post", scopes: [], audience: null, extraParams: {} });
    assert.equal(c.headers.authorization, undefined);
    assert.equal(c.form, "grant_type=client_credentials&client_id=svc+a%3Ab&client_secret=s3cr%25t%2B%2F");
  });

  it("reads access_token, a Bearer token_type in any case and expires_in (a number or digits); refuses the rest with a reason", () => {
    const c = client();
    assert.deepEqual(parseTokenResponse(answer(200, { access_token: "a", token_type: "bearer", expires_in: 60 }), c), { accessToken: "a", lifetimeMs: 60_000 });
    assert.deepEqual(parseTokenResponse(answer(200, { access_token: "a", token_type: "BEARER", expires_in: "30" }), c), {
      accessToken: "a",
      lifetimeMs: 30_000,
    });
    assert.equal(parseTokenResponse(answer(200, { access_token: "a", token_type: "Bearer" }), c).lifetimeMs, DEFAULT_TOKEN_LIFETIME_MS);
    const refused: [SendResult, RegExp][] = [
      [answer(200, { access_token: "a", token_type: "mac" }), /token_type "mac"; only Bearer/],
      [answer(200, { token_type: "Bearer" }), /without an access_token/],
      [answer(200, { access_token: "a b", token_type: "Bearer" }), /cannot be sent/],
      [answer(200, "[1]"), /without a JSON object/],
      [
        answer(401, { error: "invalid_client", error_description: "bad secret s3cr%t+/" }),
        /^token endpoint answered HTTP 401 invalid_client: bad secret \[redacted\]$/,
      ],
      [answer(503, "busy"), /^token endpoint answered HTTP 503$/],
      [answer(null, ""), /^token endpoint unreachable: connect: ECONNREFUSED$/],
    ];
    for (const [r, message] of refused)
      assert.throws(
        () => parseTokenResponse(r, c),
        (e: unknown) => e instanceof OAuth2Error && message.test(e.message),
      );
  });
});

describe("OAuth2 token cache", () => {
  it("shares one token request among concurrent attempts, then answers from memory without waiting", async () => {
    const t = fakeTokenServer();
    const cache = createTokenCache(t.send, () => 1000);
    const c = client();
    const got = await Promise.all(Array.from({ length: 20 }, () => cache.token(c)));
    assert.deepEqual(new Set(got), new Set(["tok-1"]));
    assert.equal(t.requests.length, 1);
    assert.equal(cache.token(c), "tok-1", "a cached token is a plain value, not a promise");
  });

  it("replaces a token shortly before it expires (10 % early, at most a minute), and when the endpoint's version changes", async () => {
    const t = fakeTokenServer(100);
    let now = 0;
    const cache = createTokenCache(t.send, () => now);
    assert.equal(await cache.token(client()), "tok-1");
    now = 100_000 - refreshMarginMs(100_000) - 1;
    assert.equal(cache.token(client()), "tok-1");
    now += 1;
    assert.equal(await cache.token(client()), "tok-2");
    assert.equal(await cache.token(client(2)), "tok-3", "a new version gets a new token");
    assert.equal(refreshMarginMs(3_600_000), 60_000);
  });

  it("drops a token only while it is still the endpoint's, and does not keep a failure", async () => {
    const t = fakeTokenServer();
    const cache = createTokenCache(t.send, () => 0);
    const c = client();
    assert.equal(await cache.token(c), "tok-1");
    cache.drop(c, "tok-1");
    cache.drop(c, "tok-1");
    assert.equal(await cache.token(c), "tok-2");
    cache.drop(c, "tok-1");
    assert.equal(cache.token(c), "tok-2", "a stale drop leaves the new token");

    let fail = true;
    const flaky = createTokenCache(
      async () => (fail ? answer(500, { error: "server_error" }) : answer(200, { access_token: "ok", token_type: "Bearer" })),
      () => 0,
    );
    await assert.rejects(Promise.resolve(flaky.token(c)), /HTTP 500 server_error/);
    fail = false;
    assert.equal(await flaky.token(c), "ok");
  });

  it("sendWithToken resends once with a new token after a 401, and never loops", async () => {
    const t = fakeTokenServer();
    const cache = createTokenCache(t.send, () => 0);
    const seen: string[] = [];
    const receiver = async (r: { headers: Record<string, string> }) => {
      seen.push(r.headers.authorization!);
      return answer(401, "no");
    };
    const req = { headers: {} as Record<string, string>, oauth2: client() };
    const r = await sendWithToken(receiver, cache, req, client(), () => 0);
    assert.equal(r.statusCode, 401);
    assert.deepEqual(seen, ["Bearer tok-1", "Bearer tok-2"]);
    assert.equal(req.headers.authorization, "Bearer tok-2", "the caller's request holds the token it was sent with, for the (redacted) record");
  });
});

/** A meta table in memory, counting reads and writes; `fail` makes both throw. */
function fakeMeta() {
  const rows = new Map<string, string>();
  const m = {
    rows,
    reads: 0,
    writes: 0,
    fail: false,
    async getMeta(key: string) {
      m.reads++;
      if (m.fail) throw new Error("database unreachable");
      return rows.get(key) ?? null;
    },
    async setMeta(key: string, value: string) {
      m.writes++;
      if (m.fail) throw new Error("database unreachable");
      rows.set(key, value);
    },
  };
  return m;
}

const settle = () => new Promise((r) => setImmediate(r));

describe("OAuth2 tokens shared through the store", () => {
  const box = createSecretBox(randomBytes(32));
  const quiet = { debug: () => {} };

  it("a second process reads the token the first fetched (encrypted in the store); a memory hit does not read the store", async () => {
    const t = fakeTokenServer(3600);
    const meta = fakeMeta();
    let now = 1000;
    const one = createTokenCache(t.send, () => now, storeSharedTokens(meta, box, quiet));
    const two = createTokenCache(t.send, () => now, storeSharedTokens(meta, box, quiet));
    assert.equal(await one.token(client()), "tok-1");
    await settle();
    const stored = meta.rows.get(sharedTokenKey("ep_1"));
    assert.ok(stored !== undefined, "the token was shared");
    assert.ok(!stored.includes("tok-1"), "and is stored encrypted");
    const doc = JSON.parse(stored) as { version: number; expiresAt: number; refreshAt: number; token: string };
    assert.deepEqual([doc.version, doc.expiresAt, doc.refreshAt], [1, 1000 + 3_600_000, 1000 + 3_600_000 - 60_000]);
    assert.equal(box.decrypt(doc.token), "tok-1");

    assert.equal(await two.token(client()), "tok-1");
    assert.equal(t.requests.length, 1, "the second process did not ask the token server");
    const reads = meta.reads;
    assert.equal(two.token(client()), "tok-1", "then it answers from memory, a plain value");
    assert.equal(one.token(client()), "tok-1");
    assert.equal(meta.reads, reads, "a memory hit does not read the store");

    // Near its expiry the shared token is not used; nor is one of another endpoint version.
    now = doc.refreshAt;
    const three = createTokenCache(t.send, () => now, storeSharedTokens(meta, box, quiet));
    assert.equal(await three.token(client()), "tok-2");
    await settle();
    now = 1000;
    const four = createTokenCache(t.send, () => now, storeSharedTokens(meta, box, quiet));
    assert.equal(await four.token(client(2)), "tok-3", "another version fetches its own");
    await settle();
    assert.equal(box.decrypt((JSON.parse(meta.rows.get(sharedTokenKey("ep_1"))!) as { token: string }).token), "tok-3");
  });

  it("after a 401 the new token is fetched, not read from the shared copy, and replaces it", async () => {
    const t = fakeTokenServer();
    const meta = fakeMeta();
    const one = createTokenCache(t.send, () => 0, storeSharedTokens(meta, box, quiet));
    const two = createTokenCache(t.send, () => 0, storeSharedTokens(meta, box, quiet));
    assert.equal(await one.token(client()), "tok-1");
    await settle();
    assert.equal(await two.token(client()), "tok-1");
    const seen: string[] = [];
    const receiver = async (r: { headers: Record<string, string> }) => {
      seen.push(r.headers.authorization!);
      return r.headers.authorization === "Bearer tok-1" ? answer(401, "revoked") : answer(204, "");
    };
    const r = await sendWithToken(receiver, two, { headers: {}, oauth2: client() }, client(), () => 0);
    assert.equal(r.statusCode, 204);
    assert.deepEqual(seen, ["Bearer tok-1", "Bearer tok-2"], "the refused token was not taken again from the store");
    await settle();
    assert.equal(box.decrypt((JSON.parse(meta.rows.get(sharedTokenKey("ep_1"))!) as { token: string }).token), "tok-2");
    const three = createTokenCache(t.send, () => 0, storeSharedTokens(meta, box, quiet));
    assert.equal(await three.token(client()), "tok-2", "the other processes get the new token");
    assert.equal(t.requests.length, 2);
  });

  it("a store that fails, or a value that cannot be read, is a token request: logged once at debug, never failing the attempt", async () => {
    const t = fakeTokenServer();
    const meta = fakeMeta();
    const logged: string[] = [];
    const logger = { debug: (o: object, msg: string) => void logged.push(`${msg} ${JSON.stringify(o)}`) };
    meta.fail = true;
    const cache = createTokenCache(t.send, () => 0, storeSharedTokens(meta, box, logger));
    assert.equal(await cache.token(client()), "tok-1");
    await settle();
    cache.drop(client(), "tok-1");
    assert.equal(await cache.token(client()), "tok-2");
    await settle();
    assert.equal(meta.reads + meta.writes, 3, "read once (not after the drop), written twice");
    assert.equal(logged.length, 1, logged.join("\n"));
    assert.match(logged[0]!, /shared OAuth2 token.*database unreachable/);
    assert.ok(!logged[0]!.includes("tok-"), "the log holds no token");

    meta.fail = false;
    meta.rows.set(sharedTokenKey("ep_1"), "{not json");
    const other = createTokenCache(t.send, () => 0, storeSharedTokens(meta, box, quiet));
    assert.equal(await other.token(client()), "tok-3");
    await settle();
    // A value under a master key this process does not have counts as none.
    const foreign = createSecretBox(randomBytes(32));
    const elsewhere = createTokenCache(t.send, () => 0, storeSharedTokens(meta, foreign, quiet));
    assert.equal(await elsewhere.token(client()), "tok-4");
    assert.equal(t.requests.length, 4);
  });
});
