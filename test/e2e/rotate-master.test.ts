import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { main } from "../../src/cli/main.ts";
import { createSecretBox, parseMasterKey } from "../../src/core/secret-box.ts";
import { backendEnv, testBackends } from "../support/backends.ts";
import { startReceiver } from "../support/receiver.ts";
import { eventually, startServer, tempDir } from "../support/server.ts";

// `tocsin keys rotate-master`: every secret ends up under the new key, nothing is lost, and a
// process with only the old key is refused afterwards.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PASSWORD = "rotate-me-password";
const BASIC = `Basic ${Buffer.from(`u:${PASSWORD}`).toString("base64")}`;

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { ...env }, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const keyIdOf = (stored: string) => stored.slice(3, 19);

const backends = await testBackends();

describe("keys rotate-master", () => {
  it("SQLite: generates a new key, re-encrypts every secret, and the service delivers with the same secrets", async () => {
    const rx = await startReceiver((r) => (r.headers.authorization === BASIC ? {} : { status: 401 }));
    const dir = tempDir();
    try {
      let s = await startServer({}, dir);
      await s.api("POST", "/v1/tenants", { id: "acme" });
      const ep = await s.api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
        url: `${rx.url}/h`,
        eventTypes: ["*"],
        secret: SECRET,
        auth: { type: "basic", username: "u", password: PASSWORD },
      });
      await s.api("POST", `/v1/tenants/acme/endpoints/${ep.body.id}/secret/rotate`, { secret: "whsec_dGhpc2lzYW5vbGRzZWNyZXRmb3J0ZXN0aW5nISE=" });
      await s.api("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 1 } });
      await rx.waitFor(1);
      await s.stop();
      const oldKey = readFileSync(join(dir, "master-key"), "utf8").trim();

      const r = await cli(["keys", "rotate-master", "--data-dir", dir], {});
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /re-encrypted 3 secrets of 1 endpoints/);
      const newKey = readFileSync(join(dir, "master-key"), "utf8").trim();
      assert.notEqual(newKey, oldKey);
      assert.equal(existsSync(join(dir, "master-key.previous")), false);
      const db = new DatabaseSync(join(dir, "tocsin.db"), { readOnly: true });
      const row = db.prepare("SELECT secret_enc, previous_secret_enc, credentials_enc FROM endpoints").get() as Record<string, string>;
      const check = (db.prepare("SELECT value FROM meta WHERE key = 'master_key_check'").get() as { value: string }).value;
      db.close();
      const fresh = createSecretBox(parseMasterKey(newKey));
      for (const v of Object.values(row)) assert.equal(keyIdOf(v), fresh.keyId);
      assert.equal(check, fresh.checkValue());

      s = await startServer({}, dir);
      try {
        // The secrets themselves did not change: the previous signing secret still signs too.
        assert.equal(
          (await s.api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.body.id}/secret`)).body.secret,
          "whsec_dGhpc2lzYW5vbGRzZWNyZXRmb3J0ZXN0aW5nISE=",
        );
        await s.api("POST", "/v1/tenants/acme/events", { type: "x", payload: { n: 2 } });
        const [, second] = await rx.waitFor(2);
        assert.equal(second.headers.authorization, BASIC);
        assert.equal(String(second.headers["webhook-signature"]).split(" ").length, 2);
      } finally {
        await s.stop();
      }
      // The old key alone no longer opens the database.
      await assert.rejects(startServer({ TOCSIN_MASTER_KEY: oldKey }, dir), /master key does not match/);
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("SQLite while serving: the running server rotates its own key; deliveries keep their secrets", async () => {
    const rx = await startReceiver((r) => (r.headers.authorization === BASIC ? {} : { status: 401 }));
    const dir = tempDir();
    try {
      const s = await startServer({}, dir);
      try {
        await s.api("POST", "/v1/tenants", { id: "acme" });
        const ep = await s.api<{ id: string }>("POST", "/v1/tenants/acme/endpoints", {
          url: `${rx.url}/h`,
          eventTypes: ["*"],
          secret: SECRET,
          auth: { type: "basic", username: "u", password: PASSWORD },
        });
        const oldKey = readFileSync(join(dir, "master-key"), "utf8").trim();
        const r = await cli(["keys", "rotate-master", "--data-dir", dir], { TOCSIN_URL: s.url, TOCSIN_API_KEY: s.apiKey });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /re-encrypted 2 secrets of 1 endpoints under master key [0-9a-f]{16} \(by the running server\)/);
        const newKey = readFileSync(join(dir, "master-key"), "utf8").trim();
        assert.notEqual(newKey, oldKey);
        assert.equal(existsSync(join(dir, "master-key.previous")), false);
        const db = new DatabaseSync(join(dir, "tocsin.db"), { readOnly: true });
        const row = db.prepare("SELECT secret_enc, credentials_enc FROM endpoints").get() as Record<string, string>;
        db.close();
        const fresh = createSecretBox(parseMasterKey(newKey));
        for (const v of Object.values(row)) assert.equal(keyIdOf(v), fresh.keyId);
        // Still serving, with the same secrets.
        assert.equal((await s.api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.body.id}/secret`)).body.secret, SECRET);
        await s.api("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
        const [got] = await rx.waitFor(1);
        assert.equal(got.headers.authorization, BASIC);
      } finally {
        await s.stop();
      }
      // An operator-managed key (TOCSIN_MASTER_KEY) is not the server's to rotate.
      const managed = await startServer({ TOCSIN_MASTER_KEY: readFileSync(join(dir, "master-key"), "utf8").trim() }, dir);
      try {
        assert.equal((await managed.api("POST", "/v1/master-key/rotate")).status, 409);
      } finally {
        await managed.stop();
      }
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const backend of backends) {
    if (backend !== "postgres") continue;
    it("PostgreSQL: rotates while a process with both keys keeps delivering", async () => {
      const rx = await startReceiver((r) => (r.headers.authorization === BASIC ? {} : { status: 401 }));
      const b = await backendEnv("postgres");
      const oldKey = b.env.TOCSIN_MASTER_KEY;
      const newKey = randomBytes(32).toString("base64");
      const dirs = [tempDir(), tempDir(), tempDir()];
      try {
        const before = await startServer({ ...b.env }, dirs[0]);
        await before.api("POST", "/v1/tenants", { id: "acme" });
        for (let i = 0; i < 5; i++) {
          const r = await before.api("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/e${i}`,
            eventTypes: ["*"],
            auth: { type: "basic", username: "u", password: PASSWORD },
          });
          assert.equal(r.status, 201);
        }
        await before.stop();
        // The rolling restart: new key current, old key readable.
        const during = await startServer({ ...b.env, TOCSIN_MASTER_KEY: newKey, TOCSIN_PREVIOUS_MASTER_KEYS: oldKey }, dirs[1]);
        try {
          const sending = (async () => {
            for (let i = 0; i < 10; i++) await during.api("POST", "/v1/tenants/acme/events", { type: "x", payload: { i } });
          })();
          const r = await cli(["keys", "rotate-master"], { ...b.env, TOCSIN_MASTER_KEY: newKey, TOCSIN_PREVIOUS_MASTER_KEYS: oldKey });
          await sending;
          assert.equal(r.code, 0, r.err);
          assert.match(r.out, /re-encrypted 10 secrets of 5 endpoints/);
          await rx.waitFor(50, 20_000);
          assert.ok(rx.requests.every((q) => q.headers.authorization === BASIC));
        } finally {
          await during.stop();
        }
        await assert.rejects(startServer({ ...b.env }, dirs[2]), /master key does not match/);
        const after = await startServer({ ...b.env, TOCSIN_MASTER_KEY: newKey }, dirs[2]);
        try {
          await after.api("POST", "/v1/tenants/acme/events", { type: "x", payload: { last: true } });
          await eventually(async () => rx.requests.filter((q) => q.body === '{"last":true}').length === 5);
        } finally {
          await after.stop();
        }
      } finally {
        await rx.close();
        await b.drop();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  }
});
