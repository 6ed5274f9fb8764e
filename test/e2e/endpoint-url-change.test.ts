import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../support/backends.ts";
import { CLIENT_CN, type Certs, makeCerts } from "../support/certs.ts";
import { type ReceivedRequest, type Receiver, withReceiver } from "../support/receiver.ts";
import { type Api, withBackendServer, withServer } from "../support/server.ts";
import { type TlsReceiver, startTlsReceiver } from "../support/tls-receiver.ts";

// Credentials belong to a destination: moving an endpoint to another origin (scheme, host or port)
// clears its auth, client certificate and key, and custom headers unless the same PATCH sets them
// again, and the answer lists what was cleared. Two loopback receivers on different ports are two
// origins.

type Ep = {
  id: string;
  url: string;
  auth: Record<string, unknown>;
  headers: Record<string, string>;
  tls: { clientCert: string | null; clientKeySet: boolean; ca: string | null; skipVerify: boolean };
  cleared?: string[];
};
type Problem = { detail: string; errors: { path: string; message: string }[] };

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async function endpointAt(api: Api, tenant: string, endpoint: Record<string, unknown>): Promise<Ep> {
  assert.equal((await api("POST", "/v1/tenants", { id: tenant })).status, 201);
  const r = await api<Ep>("POST", `/v1/tenants/${tenant}/endpoints`, { eventTypes: ["*"], secret: SECRET, ...endpoint });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function patch(api: Api, tenant: string, id: string, body: Record<string, unknown>): Promise<Ep> {
  const r = await api<Ep>("PATCH", `/v1/tenants/${tenant}/endpoints/${id}`, body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** Sends a test call and returns what the receiver got. */
async function testCall<R extends ReceivedRequest>(api: Api, tenant: string, id: string, rx: { requests: R[]; waitFor(n: number): Promise<R[]> }): Promise<R> {
  const before = rx.requests.length;
  const r = await api<{ error: unknown }>("POST", `/v1/tenants/${tenant}/endpoints/${id}/test`, {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.error, null, JSON.stringify(r.body));
  const got = await rx.waitFor(before + 1);
  return got[before];
}

const withTwoReceivers = (fn: (a: Receiver, b: Receiver) => Promise<void>) =>
  withReceiver(
    () => ({}),
    (a) =>
      withReceiver(
        () => ({}),
        (b) => fn(a, b),
      ),
  );

for (const backend of await testBackends()) {
  describe(`${backend}: moving an endpoint to another origin`, () => {
    it("clears the stored bearer token and custom headers, says so, and the new host receives neither", async () => {
      await withTwoReceivers(async (a, b) => {
        await withBackendServer(backend, {}, async ({ api }) => {
          const ep = await endpointAt(api, "acme", {
            url: `${a.url}/hook`,
            auth: { type: "bearer", token: "tok-for-a" },
            headers: { "X-Api-Key": "key-for-a", "X-Team": "soc" },
          });
          const atA = await testCall(api, "acme", ep.id, a);
          assert.equal(atA.headers.authorization, "Bearer tok-for-a");
          assert.equal(atA.headers["x-api-key"], "key-for-a");

          const moved = await patch(api, "acme", ep.id, { url: `${b.url}/hook` });
          const atB = await testCall(api, "acme", ep.id, b);
          assert.equal(atB.headers.authorization, undefined, "the token stays behind");
          assert.equal(atB.headers["x-api-key"], undefined);
          assert.equal(atB.headers["x-team"], undefined);
          assert.deepEqual(moved.cleared, ["auth", "headers"]);
          assert.deepEqual(moved.auth, { type: "none" });
          assert.deepEqual(moved.headers, {});
          // The signing secret is the endpoint's own identity and stays.
          new Webhook(SECRET).verify(atB.body, atB.headers as Record<string, string>);
          const doc = await api<Ep>("GET", `/v1/tenants/acme/endpoints/${ep.id}`);
          assert.equal(doc.body.cleared, undefined, "only the PATCH answer carries cleared");
        });
      });
    });

    it("a new path on the same origin keeps auth and headers, and the answer lists nothing", async () => {
      await withReceiver(
        () => ({}),
        async (a) => {
          await withBackendServer(backend, {}, async ({ api }) => {
            const ep = await endpointAt(api, "acme", {
              url: `${a.url}/v1`,
              auth: { type: "basic", username: "u", password: "pw" },
              headers: { "X-Api-Key": "k" },
            });
            const moved = await patch(api, "acme", ep.id, { url: `${a.url}/v2?x=1` });
            assert.equal(moved.cleared, undefined);
            assert.deepEqual(moved.auth, { type: "basic", username: "u", passwordSet: true });
            const r = await testCall(api, "acme", ep.id, a);
            assert.equal(r.path, "/v2?x=1");
            assert.equal(r.headers.authorization, `Basic ${Buffer.from("u:pw").toString("base64")}`);
            assert.equal(r.headers["x-api-key"], "k");
            // The same origin spelled with its default port is the same origin.
            const p = await patch(api, "acme", ep.id, { url: "http://127.0.0.1:80/a" });
            assert.deepEqual(p.cleared, ["auth", "headers"]);
            assert.equal((await patch(api, "acme", ep.id, { url: "http://127.0.0.1/b", auth: { type: "bearer", token: "t" } })).cleared, undefined);
          });
        },
      );
    });
  });
}

describe("moving an endpoint: what the same PATCH sets again is kept", () => {
  it("auth given again in full is used; a stored password is never carried to the new origin", async () => {
    await withTwoReceivers(async (a, b) => {
      await withServer({}, async ({ api }) => {
        const ep = await endpointAt(api, "acme", { url: `${a.url}/h`, auth: { type: "basic", username: "u", password: "pw-a" } });
        // A username alone would keep the stored password: refused, naming the password.
        const half = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { url: `${b.url}/h`, auth: { username: "u2" } });
        assert.equal(half.status, 400, JSON.stringify(half.body));
        assert.equal(half.body.errors[0].path, "/auth/password");
        assert.match(half.body.errors[0].message, /not sent to another origin/);
        const full = await patch(api, "acme", ep.id, { url: `${b.url}/h`, auth: { username: "u2", password: "pw-b" } });
        assert.equal(full.cleared, undefined, "nothing was cleared: auth was set again, there were no headers");
        assert.deepEqual(full.auth, { type: "basic", username: "u2", passwordSet: true });
        const r = await testCall(api, "acme", ep.id, b);
        assert.equal(r.headers.authorization, `Basic ${Buffer.from("u2:pw-b").toString("base64")}`);
      });
    });
  });

  it("a headers member keeps the old headers merged with it; {} keeps them all, null clears them", async () => {
    await withTwoReceivers(async (a, b) => {
      await withServer({}, async ({ api }) => {
        const ep = await endpointAt(api, "acme", {
          url: `${a.url}/h`,
          headers: { "X-Team": "soc", "X-Api-Key": "old" },
          auth: { type: "bearer", token: "t-a" },
        });
        const merged = await patch(api, "acme", ep.id, { url: `${b.url}/h`, headers: { "X-Api-Key": "new" } });
        assert.deepEqual(merged.cleared, ["auth"]);
        assert.deepEqual(merged.headers, { "X-Team": "soc", "X-Api-Key": "new" });
        const r = await testCall(api, "acme", ep.id, b);
        assert.equal(r.headers["x-api-key"], "new");
        assert.equal(r.headers.authorization, undefined);

        const kept = await patch(api, "acme", ep.id, { url: `${a.url}/h`, headers: {} });
        assert.equal(kept.cleared, undefined);
        assert.deepEqual(kept.headers, { "X-Team": "soc", "X-Api-Key": "new" });
        const cleared = await patch(api, "acme", ep.id, { url: `${b.url}/h`, headers: null });
        assert.equal(cleared.cleared, undefined, "the request itself removed them");
        assert.deepEqual(cleared.headers, {});
      });
    });
  });

  it("another scheme or host on the same port is another origin", async () => {
    await withServer({}, async ({ api }) => {
      const ep = await endpointAt(api, "acme", { url: "http://127.0.0.1:8080/h", auth: { type: "bearer", token: "t" } });
      assert.deepEqual((await patch(api, "acme", ep.id, { url: "https://127.0.0.1:8080/h" })).cleared, ["auth"]);
      await patch(api, "acme", ep.id, { auth: { type: "bearer", token: "t" } });
      assert.deepEqual((await patch(api, "acme", ep.id, { url: "https://localhost:8080/h" })).cleared, ["auth"]);
      // Host names compare as URLs do: case does not make another origin.
      await patch(api, "acme", ep.id, { auth: { type: "bearer", token: "t" } });
      assert.equal((await patch(api, "acme", ep.id, { url: "https://LOCALHOST:8080/other" })).cleared, undefined);
    });
  });
});

describe("moving an endpoint: the client certificate", () => {
  let certs: Certs;
  let a: TlsReceiver;
  let b: TlsReceiver;
  // Both ask for a client certificate and accept requests without one, recording what came.
  const asking = () =>
    startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey, ca: certs.clientCa, serverOptions: { requestCert: true, rejectUnauthorized: false } });
  before(async () => {
    certs = await makeCerts();
    [a, b] = await Promise.all([asking(), asking()]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    certs.cleanup();
  });

  it("clears the certificate and key; the new host gets no client certificate, tls.ca and skipVerify stay", async () => {
    await withServer({}, async ({ api }) => {
      const ep = await endpointAt(api, "acme", { url: `${a.url}/h`, tls: { clientCert: certs.clientCert, clientKey: certs.clientKey, ca: certs.ca } });
      assert.equal((await testCall(api, "acme", ep.id, a)).clientCertSubject, CLIENT_CN);
      const moved = await patch(api, "acme", ep.id, { url: `${b.url}/h` });
      assert.equal((await testCall(api, "acme", ep.id, b)).clientCertSubject, undefined, "the client key stays behind");
      assert.deepEqual(moved.cleared, ["tls.clientCert", "tls.clientKey"]);
      assert.equal(moved.tls.clientCert, null);
      assert.equal(moved.tls.clientKeySet, false);
      assert.equal(moved.tls.ca, ep.tls.ca, "tls.ca is kept");
      assert.equal(moved.tls.skipVerify, false);
    });
  });

  it("a client key given again in the same request keeps the stored certificate; a certificate alone is refused", async () => {
    await withServer({}, async ({ api }) => {
      const ep = await endpointAt(api, "acme", { url: `${a.url}/h`, tls: { clientCert: certs.clientCert, clientKey: certs.clientKey, ca: certs.ca } });
      const certOnly = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ep.id}`, { url: `${b.url}/h`, tls: { clientCert: certs.clientCert } });
      assert.equal(certOnly.status, 400, JSON.stringify(certOnly.body));
      assert.equal(certOnly.body.errors[0].path, "/tls/clientKey");
      const moved = await patch(api, "acme", ep.id, { url: `${b.url}/h`, tls: { clientKey: certs.clientKey } });
      assert.equal(moved.cleared, undefined);
      assert.equal(moved.tls.clientKeySet, true);
      assert.equal((await testCall(api, "acme", ep.id, b)).clientCertSubject, CLIENT_CN);
    });
  });
});
