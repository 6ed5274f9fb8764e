import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { describe, it } from "node:test";
import { verify as verifyGithub } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../support/backends.ts";
import { type ReceivedRequest, withReceiver } from "../support/receiver.ts";
import { type Api, withBackendServer, withServer } from "../support/server.ts";
import { type Ep, type Problem, tenantWith } from "./endpoint-helpers.ts";

// Endpoint signing end to end: the real server, real loopback receivers, independent verifiers.
// Signing schemes and secret rotation; the other endpoint settings are in endpoint-settings.test.ts.
const BACKENDS = await testBackends(); // before the first describe(): see test/store/query-plans.test.ts

const hmacHex = (key: string, msg: string) => createHmac("sha256", Buffer.from(key, "utf8")).update(msg).digest("hex");
const hmacB64 = (key: string, msg: string) => createHmac("sha256", Buffer.from(key, "utf8")).update(msg).digest("base64");
const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

describe("endpoint settings: signing schemes", () => {
  const SECRET = "mon1tor-secret-0123456789";
  const sign = async (api: Api, signing: Record<string, unknown> | undefined, secret?: string) => {
    let captured: ReceivedRequest | undefined;
    await withReceiver(
      () => ({}),
      async (rx) => {
        await api("POST", "/v1/tenants", { id: "acme" });
        const ep = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
          url: `${rx.url}/h`,
          eventTypes: ["*"],
          ...(signing ? { signing } : {}),
          ...(secret ? { secret } : {}),
        });
        assert.equal(ep.status, 201, JSON.stringify(ep.body));
        await api("POST", "/v1/tenants/acme/events", `{"type":"alert","payload":{"score": 9.50, "host": "db-1"}}`);
        [captured] = await rx.waitFor(1);
        await api("DELETE", "/v1/tenants/acme");
      },
    );
    return captured!;
  };

  it("hmac-sha256 as mon1tor (hex, no prefix), GitHub (sha256=), Grafana (timestamp header) and PagerDuty (v1=)", async () => {
    await withServer({}, async ({ api }) => {
      const mon1tor = await sign(api, { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh", encoding: "hex" }, SECRET);
      assert.equal(mon1tor.body, '{"score":9.50,"host":"db-1"}');
      assert.ok(sameText(String(mon1tor.headers["x-mon1tor-sha256-wh"]), hmacHex(SECRET, mon1tor.body)));
      assert.equal(mon1tor.headers["webhook-signature"], undefined);

      const gh = await sign(api, { scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" }, SECRET);
      const ghSig = String(gh.headers["x-hub-signature-256"]);
      assert.match(ghSig, /^sha256=[0-9a-f]{64}$/);
      assert.equal(await verifyGithub(SECRET, gh.body, ghSig), true, "@octokit/webhooks-methods verifies it");
      assert.equal(await verifyGithub("another-secret-value", gh.body, ghSig), false);

      const grafana = await sign(
        api,
        { scheme: "hmac-sha256", header: "X-Grafana-Alerting-Signature", timestampHeader: "X-Grafana-Alerting-Signature-Timestamp" },
        SECRET,
      );
      const ts = String(grafana.headers["x-grafana-alerting-signature-timestamp"]);
      assert.match(ts, /^\d{10}$/);
      assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60);
      assert.equal(grafana.headers["x-grafana-alerting-signature"], hmacHex(SECRET, `${ts}:${grafana.body}`));

      const pd = await sign(api, { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", prefix: "v1=", encoding: "hex" }, SECRET);
      assert.equal(pd.headers["x-pagerduty-signature"], `v1=${hmacHex(SECRET, pd.body)}`);

      const b64 = await sign(api, { scheme: "hmac-sha256", header: "X-Sig", encoding: "base64" }, SECRET);
      assert.equal(b64.headers["x-sig"], hmacB64(SECRET, b64.body));
    });
  });

  it("a generated secret signs hmac-sha256 with the exact string shown to the user", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/h`, signing: { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh" } });
          const { secret } = (await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body;
          assert.match(secret, /^whsec_/);
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
          const [r] = await rx.waitFor(1);
          assert.equal(r.headers["x-mon1tor-sha256-wh"], hmacHex(secret, r.body));
        });
      },
    );
  });

  it("standard verifies with the standardwebhooks library; none sends no signature and warns", async () => {
    await withServer({}, async ({ api }) => {
      const std = await sign(api, undefined, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
      const wh = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
      assert.deepEqual(wh.verify(std.body, std.headers as Record<string, string>), { score: 9.5, host: "db-1" });
      const none = await sign(api, { scheme: "none" });
      assert.equal(none.headers["webhook-signature"], undefined);
      assert.ok(none.headers["webhook-id"], "the id still lets receivers deduplicate");
      await api("POST", "/v1/tenants", { id: "w" });
      const r = await api<Ep>("POST", "/v1/tenants/w/endpoints", { url: "http://127.0.0.1:9/x", eventTypes: ["*"], signing: { scheme: "none" } });
      assert.match(r.body.warnings.join("\n"), /signing\.scheme is none/);
    });
  });

  it("changing the scheme keeps the secret; standard refuses a secret that is not whsec_", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/h`, secret: SECRET, signing: { scheme: "hmac-sha256", header: "x-sig" } });
          const back = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { scheme: "standard" } });
          assert.equal(back.status, 400);
          assert.equal(back.body.errors[0].path, "/signing/scheme");
          const gh = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { signing: { header: "X-Hub-Signature-256", prefix: "sha256=" } });
          assert.equal(gh.status, 200, JSON.stringify(gh.body));
          assert.deepEqual(gh.body.signing, {
            scheme: "hmac-sha256",
            header: "X-Hub-Signature-256",
            encoding: "hex",
            prefix: "sha256=",
            timestampHeader: null,
          });
          assert.equal((await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body.secret, SECRET);
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
          const [r] = await rx.waitFor(1);
          assert.equal(await verifyGithub(SECRET, r.body, String(r.headers["x-hub-signature-256"])), true);
        });
      },
    );
  });
});

describe("endpoint settings: secret rotation", () => {
  it("standard: both signatures for the overlap, each verifying with its own secret", async () => {
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
          const ep = await tenantWith(api, "acme", { url: `${rx.url}/h`, secret: old });
          const rot = await api<{ secret: string; overlap: boolean; previousSecretExpiresAt: string }>(
            "POST",
            `/v1/tenants/acme/endpoints/${ep.id}/secret/rotate`,
            {},
          );
          assert.equal(rot.status, 200, JSON.stringify(rot.body));
          assert.equal(rot.body.overlap, true);
          const until = Date.parse(rot.body.previousSecretExpiresAt) - Date.now();
          assert.ok(until > 23.9 * 3600_000 && until <= 24 * 3600_000, `${until}`);
          assert.notEqual(rot.body.secret, old);
          const doc = await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep.id}`);
          assert.equal(doc.body.previousSecretExpiresAt, rot.body.previousSecretExpiresAt);
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
          const [r] = await rx.waitFor(1);
          const sigs = String(r.headers["webhook-signature"]).split(" ");
          assert.equal(sigs.length, 2);
          for (const secret of [old, rot.body.secret]) new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
          assert.equal((await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${ep.id}/secret`)).body.secret, rot.body.secret);
        });
      },
    );
  });

  it("PagerDuty's v1= list carries both; a single-value header switches at once and says so", async () => {
    const SECRET = "pagerduty-secret-0123456789";
    await withReceiver(
      () => ({}),
      async (rx) => {
        await withServer({}, async ({ api }) => {
          const pd = await tenantWith(api, "acme", {
            url: `${rx.url}/pd`,
            secret: SECRET,
            signing: { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", prefix: "v1=" },
          });
          const m = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
            url: `${rx.url}/m`,
            eventTypes: ["*"],
            secret: SECRET,
            signing: { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh" },
          });
          const supplied = "brand-new-secret-for-pd-0001";
          const r1 = await api<{ secret: string; overlap: boolean }>("POST", `/v1/tenants/acme/endpoints/${pd.id}/secret/rotate`, { secret: supplied });
          assert.equal(r1.body.secret, supplied);
          assert.equal(r1.body.overlap, true);
          const r2 = await api<{ secret: string; overlap: boolean; previousSecretExpiresAt: null; detail: string }>(
            "POST",
            `/v1/tenants/acme/endpoints/${m.body.id}/secret/rotate`,
            {},
          );
          assert.equal(r2.body.overlap, false);
          assert.equal(r2.body.previousSecretExpiresAt, null);
          assert.match(r2.body.detail, /single signature/);
          await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
          const got = await rx.waitFor(2);
          const pdReq = got.find((r) => r.path === "/pd")!;
          assert.equal(pdReq.headers["x-pagerduty-signature"], `v1=${hmacHex(supplied, pdReq.body)},v1=${hmacHex(SECRET, pdReq.body)}`);
          const mReq = got.find((r) => r.path === "/m")!;
          assert.equal(mReq.headers["x-mon1tor-sha256-wh"], hmacHex(r2.body.secret, mReq.body));
        });
      },
    );
  });
});

for (const backend of BACKENDS) {
  describe(`${backend}: a secret set by PATCH ends a rotation's overlap`, () => {
    it("after a rotation, PATCH {secret} signs with the new secret alone, for standard and PagerDuty's v1= list", async () => {
      const old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
      const replaced = "whsec_QWxsIHRoZSB3b3JsZCdzIGEgc3RhZ2UsIGFuZA==";
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            const std = await tenantWith(api, "acme", { url: `${rx.url}/std`, secret: old });
            const pd = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
              url: `${rx.url}/pd`,
              eventTypes: ["*"],
              secret: "pagerduty-secret-0123456789",
              signing: { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", prefix: "v1=" },
            });
            const patched: Ep[] = [];
            for (const id of [std.id, pd.body.id]) {
              const rot = await api<{ overlap: boolean }>("POST", `/v1/tenants/acme/endpoints/${id}/secret/rotate`, {});
              assert.equal(rot.body.overlap, true);
              const p = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${id}`, { secret: replaced });
              assert.equal(p.status, 200, JSON.stringify(p.body));
              patched.push(p.body);
              assert.equal((await api<{ error: unknown }>("POST", `/v1/tenants/acme/endpoints/${id}/test`, {})).body.error, null);
            }
            await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { a: 1 } });
            const got = await rx.waitFor(4);
            for (const r of got.filter((x) => x.path === "/std")) {
              assert.equal(String(r.headers["webhook-signature"]).split(" ").length, 1, "exactly one signature");
              new Webhook(replaced).verify(r.body, r.headers as Record<string, string>);
            }
            for (const r of got.filter((x) => x.path === "/pd")) {
              assert.equal(r.headers["x-pagerduty-signature"], `v1=${hmacHex(replaced, r.body)}`);
            }
            assert.equal(got.length, 4, "two test calls and two deliveries");
            for (const p of patched) assert.equal(p.previousSecretExpiresAt, null, "the overlap is over");
          });
        },
      );
    });
  });
}
