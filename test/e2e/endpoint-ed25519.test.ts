import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createSecretBox, parseMasterKey } from "../../src/core/secret-box.ts";
import { testBackends } from "../support/backends.ts";
import { type ReceivedRequest, withReceiver } from "../support/receiver.ts";
import { type Api, type TestServer, withBackendServer } from "../support/server.ts";
import { type Ep, type Problem, tenantWith } from "./endpoint-helpers.ts";

// signing.scheme ed25519 (Standard Webhooks v1a) end to end on both backends: the receiver verifies
// with the public key alone, and the private key shows up in no answer and in no stored byte.
const BACKENDS = await testBackends(); // before the first describe(): see test/store/query-plans.test.ts

const MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** A receiver's own check, with node:crypto and the whpk_ key only. */
function verifiesWith(publicKey: string, r: { headers: ReceivedRequest["headers"]; body: string }): boolean[] {
  assert.match(publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKey.slice(5), "base64")]), format: "der", type: "spki" });
  const signed = Buffer.from(`${String(r.headers["webhook-id"])}.${String(r.headers["webhook-timestamp"])}.${r.body}`, "utf8");
  return String(r.headers["webhook-signature"])
    .split(" ")
    .map((entry) => {
      assert.match(entry, /^v1a,[A-Za-z0-9+/]{86}==$/, "a v1a entry with a 64-byte signature");
      return verify(null, signed, key, Buffer.from(entry.slice(4), "base64"));
    });
}

/** The stored private key, read the way the server reads it: from the store, opened with the master key. */
async function storedPrivateKey(s: TestServer, tenant: string, id: string): Promise<string> {
  const secrets = await s.app.store.getEndpointSecrets(tenant, id);
  assert.ok(secrets);
  return createSecretBox(parseMasterKey(MASTER_KEY)).decrypt(secrets.secretEnc);
}

const publicKeyOf = async (api: Api, id: string) =>
  (await api<{ scheme: string; publicKey: string }>("GET", `/v1/tenants/acme/endpoints/${id}/public-key`)).body;

for (const backend of BACKENDS) {
  describe(`${backend}: signing.scheme ed25519`, () => {
    it("the receiver verifies with the public key alone; a forged body fails; the private key is in no answer and not stored in plain text", async () => {
      const answers: string[] = [];
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, { TOCSIN_MASTER_KEY: MASTER_KEY }, async (s) => {
            const api: Api = async <T>(method: string, path: string, body?: unknown) => {
              const r = await s.api<T>(method, path, body);
              answers.push(JSON.stringify(r.body));
              return r;
            };
            const ep = await tenantWith(api, "acme", { url: `${rx.url}/h`, signing: { scheme: "ed25519" } });
            assert.deepEqual(ep.signing, { scheme: "ed25519" });
            assert.equal(ep.secretSet, true);
            const secret = (await api<{ scheme: string; publicKey: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body;
            assert.equal(secret.scheme, "ed25519");
            assert.equal("secret" in secret, false, "no secret is revealed");
            const pk = await publicKeyOf(api, ep.id);
            assert.deepEqual(pk, { scheme: "ed25519", publicKey: secret.publicKey });

            await api("POST", "/v1/tenants/acme/events", `{"type":"alert","payload":{"score": 9.50}}`);
            const [r] = await rx.waitFor(1);
            assert.equal(r!.body, '{"score":9.50}');
            assert.deepEqual(verifiesWith(pk.publicKey, r!), [true]);
            assert.deepEqual(verifiesWith(pk.publicKey, { ...r!, body: '{"score":9.51}' }), [false], "a forged body fails");
            const test = await api<{ request: { headers: Record<string, string> } }>("POST", `/v1/tenants/acme/endpoints/${ep.id}/test`, {});
            assert.match(test.body.request.headers["webhook-signature"] ?? "", /^v1a,/);
            await api("GET", `/v1/tenants/acme/endpoints/${ep.id}`);

            const privateKey = await storedPrivateKey(s, "acme", ep.id);
            assert.match(privateKey, /^whsk_[A-Za-z0-9+/]{86}==$/);
            const seed = Buffer.from(privateKey.slice(5), "base64").subarray(0, 32);
            for (const a of answers) {
              assert.equal(a.includes("whsk_"), false);
              assert.equal(a.includes(privateKey.slice(5)), false);
              assert.equal(a.includes(seed.toString("base64").slice(0, 40)), false);
            }
            if (backend === "sqlite") {
              const files = ["tocsin.db", "tocsin.db-wal"].map((f) => join(s.dataDir, f)).filter((f) => existsSync(f));
              assert.ok(files.length > 0, `the database file is in ${s.dataDir}`);
              for (const f of files) {
                const bytes = readFileSync(f);
                for (const needle of [privateKey, privateKey.slice(5), seed.toString("base64").slice(0, 40)]) {
                  assert.equal(bytes.includes(needle), false, `${f} holds ${needle.slice(0, 12)}… in plain text`);
                }
                assert.equal(bytes.includes(seed), false, `${f} holds the raw seed`);
              }
            } else {
              const stored = await s.app.store.getEndpointSecrets("acme", ep.id);
              assert.equal(JSON.stringify(stored).includes(privateKey.slice(5)), false, "stored encrypted");
            }
          });
        },
      );
    });

    it("rotation makes a new key pair and signs with both keys for the overlap; PATCH or rotate with a secret is refused naming /secret", async () => {
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, { TOCSIN_MASTER_KEY: MASTER_KEY }, async ({ api }) => {
            const ep = await tenantWith(api, "acme", { url: `${rx.url}/h`, signing: { scheme: "ed25519" } });
            const before = await publicKeyOf(api, ep.id);
            const rot = await api<{ publicKey: string; overlap: boolean; previousSecretExpiresAt: string; detail: string }>(
              "POST",
              `/v1/tenants/acme/endpoints/${ep.id}/secret/rotate`,
            );
            assert.equal(rot.status, 200, JSON.stringify(rot.body));
            assert.equal(rot.body.overlap, true);
            assert.equal("secret" in rot.body, false);
            assert.notEqual(rot.body.publicKey, before.publicKey);
            assert.match(rot.body.detail, /new key pair/);
            const after = (
              await api<{ publicKey: string; previousPublicKey: string; previousExpiresAt: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/public-key`)
            ).body;
            assert.equal(after.publicKey, rot.body.publicKey);
            assert.equal(after.previousPublicKey, before.publicKey);
            assert.equal(after.previousExpiresAt, rot.body.previousSecretExpiresAt);

            await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
            const [r] = await rx.waitFor(1);
            assert.deepEqual(verifiesWith(after.publicKey, r!), [true, false], "the new key's signature first");
            assert.deepEqual(verifiesWith(before.publicKey, r!), [false, true], "the previous key's signature second");

            for (const [method, path, body] of [
              ["PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
              ["POST", `/v1/tenants/acme/endpoints/${ep.id}/secret/rotate`, { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
              [
                "POST",
                "/v1/tenants/acme/endpoints",
                { url: `${rx.url}/h2`, eventTypes: ["*"], signing: { scheme: "ed25519" }, secret: "some-secret-0123456789" },
              ],
            ] as const) {
              const p = await api<Problem>(method, path, body);
              assert.equal(p.status, 400, `${method} ${path}: ${JSON.stringify(p.body)}`);
              assert.equal(p.body.errors?.[0]?.path, "/secret");
            }
          });
        },
      );
    });

    it("switching to ed25519 makes a key pair; switching away discards it for a new whsec_ secret; public-key answers 409 under HMAC", async () => {
      await withBackendServer(backend, { TOCSIN_MASTER_KEY: MASTER_KEY }, async (s) => {
        const { api } = s;
        const original = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const ep = await tenantWith(api, "acme", { url: "https://example.com/h", secret: original });
        const refused = await api<Problem>("GET", `/v1/tenants/acme/endpoints/${ep.id}/public-key`);
        assert.equal(refused.status, 409);
        assert.match(refused.body.detail, /signing\.scheme standard/);

        const to = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { scheme: "ed25519" } });
        assert.equal(to.status, 200, JSON.stringify(to.body));
        const pk = await publicKeyOf(api, ep.id);
        assert.match(pk.publicKey, /^whpk_/);
        assert.match(await storedPrivateKey(s, "acme", ep.id), /^whsk_/);

        const back = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { scheme: "standard" } });
        assert.equal(back.status, 200, JSON.stringify(back.body));
        const { secret } = (await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body;
        assert.match(secret, /^whsec_/);
        assert.notEqual(secret, original, "a new secret: the old one was discarded with the switch");
        assert.equal(back.body.previousSecretExpiresAt, null);

        const hmac = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { scheme: "ed25519" } });
        assert.equal(hmac.status, 200);
        const bad = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { scheme: "ed25519" }, secret: original });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.errors?.[0]?.path, "/secret");
      });
    });
  });
}
