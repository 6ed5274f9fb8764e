import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startBlackhole } from "../support/blackhole.ts";
import { CLIENT_CN, type Certs, makeCerts } from "../support/certs.ts";
import { type TlsReceiver, startTlsReceiver } from "../support/tls-receiver.ts";
import { startReceiver } from "../support/receiver.ts";
import { type Api, eventually, spawnServer, tempDir, withBackendServer, withServer } from "../support/server.ts";

// TLS settings, connect timeouts and secrets at rest, against real HTTPS servers on loopback with
// certificates made for this run (nothing private is committed).

type TestCall = {
  response: { status: number; body: string } | null;
  error: { class: string; message: string } | null;
  durationMs: number;
};
type Ep = { id: string; warnings: string[]; tls: Record<string, unknown> };
type Problem = { errors: { path: string; message: string }[] };

async function endpoint(api: Api, body: Record<string, unknown>): Promise<{ status: number; body: Ep & Problem }> {
  if ((await api("GET", "/v1/tenants/acme")).status === 404) await api("POST", "/v1/tenants", { id: "acme" });
  return api<Ep & Problem>("POST", "/v1/tenants/acme/endpoints", { eventTypes: ["*"], ...body });
}

const testCall = async (api: Api, id: string) => (await api<TestCall>("POST", `/v1/tenants/acme/endpoints/${id}/test`, {})).body;

describe("endpoint TLS settings", { timeout: 120_000 }, () => {
  let certs: Certs;
  let selfSigned: TlsReceiver;
  let caSigned: TlsReceiver;
  let mtls: TlsReceiver;
  before(async () => {
    certs = await makeCerts();
    selfSigned = await startTlsReceiver({ cert: certs.selfSignedCert, key: certs.selfSignedKey });
    caSigned = await startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey });
    mtls = await startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey, ca: certs.clientCa, requestCert: true });
  });
  after(async () => {
    await Promise.all([selfSigned?.close(), caSigned?.close(), mtls?.close()]);
    certs?.cleanup();
  });

  it("refuses a self-signed receiver unless skipVerify is on, which answers with a warning", async () => {
    await withServer({}, async ({ api }) => {
      const strict = await endpoint(api, { url: `${selfSigned.url}/s` });
      const r1 = await testCall(api, strict.body.id);
      assert.equal(r1.response, null);
      assert.equal(r1.error?.class, "tls", JSON.stringify(r1.error));
      const lax = await endpoint(api, { url: `${selfSigned.url}/s`, tls: { skipVerify: true } });
      assert.match(lax.body.warnings.join("\n"), /skipVerify/);
      const r2 = await testCall(api, lax.body.id);
      assert.equal(r2.error, null, JSON.stringify(r2.error));
      assert.equal(r2.response?.status, 200);
    });
  });

  it("trusts an extra CA bundle for the receiver's certificate; without it the attempt fails as tls", async () => {
    await withServer({}, async ({ api }) => {
      const without = await endpoint(api, { url: `${caSigned.url}/ca` });
      assert.equal((await testCall(api, without.body.id)).error?.class, "tls");
      const withCa = await endpoint(api, { url: `${caSigned.url}/ca`, tls: { ca: certs.ca } });
      assert.equal(withCa.status, 201, JSON.stringify(withCa.body));
      assert.equal(withCa.body.tls.ca, certs.ca);
      const r = await testCall(api, withCa.body.id);
      assert.equal(r.error, null, JSON.stringify(r.error));
      // Through the queue as well.
      await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { via: "queue" } });
      await caSigned.waitFor(1, 10_000, (q) => q.body === '{"via":"queue"}');
    });
  });

  it("presents the client certificate for mutual TLS; a wrong certificate or none is refused", async () => {
    await withServer({}, async ({ api }) => {
      const good = await endpoint(api, { url: `${mtls.url}/m`, tls: { ca: certs.ca, clientCert: certs.clientCert, clientKey: certs.clientKey } });
      assert.equal(good.status, 201, JSON.stringify(good.body));
      assert.equal(good.body.tls.clientKeySet, true);
      assert.doesNotMatch(JSON.stringify(good.body), /PRIVATE KEY/);
      const r = await testCall(api, good.body.id);
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.equal(r.response?.status, 200);
      assert.equal(mtls.requests.at(-1)?.clientCertSubject, CLIENT_CN);

      const wrong = await endpoint(api, { url: `${mtls.url}/m`, tls: { ca: certs.ca, clientCert: certs.wrongClientCert, clientKey: certs.wrongClientKey } });
      const none = await endpoint(api, { url: `${mtls.url}/m`, tls: { ca: certs.ca } });
      const before = mtls.requests.length;
      for (const ep of [wrong.body, none.body]) {
        const x = await testCall(api, ep.id);
        assert.equal(x.response, null);
        // TLS 1.3: the server refuses the certificate after the client's handshake has finished, so
        // the client sees the connection closed (or the alert), not a handshake error.
        assert.ok(x.error && ["tls", "connect"].includes(x.error.class), JSON.stringify(x.error));
      }
      assert.equal(mtls.requests.length, before, "the receiver handled no request without a valid client certificate");

      // A delivery through the queue uses the certificate too.
      await api("DELETE", `/v1/tenants/acme/endpoints/${wrong.body.id}`);
      await api("DELETE", `/v1/tenants/acme/endpoints/${none.body.id}`);
      await api("POST", "/v1/tenants/acme/events", { type: "x", payload: { mtls: true } });
      const [got] = await mtls.waitFor(1, 10_000, (q) => q.body === '{"mtls":true}');
      assert.equal(got.clientCertSubject, CLIENT_CN);
    });
  });

  it("validates certificates and keys on save: they must parse and match", async () => {
    await withServer({}, async ({ api }) => {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ clientCert: certs.clientCert, clientKey: certs.otherKey }, "/tls/clientKey", /does not belong to this certificate/],
        [{ clientCert: certs.clientCert }, "/tls/clientKey", /required/],
        [{ clientKey: certs.clientKey }, "/tls/clientCert", /required/],
        [
          { clientCert: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----", clientKey: certs.clientKey },
          "/tls/clientCert",
          /not valid base64 PEM/,
        ],
        [{ clientCert: "hello", clientKey: certs.clientKey }, "/tls/clientCert", /PEM certificate/],
        [{ clientCert: certs.clientCert, clientKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }, "/tls/clientKey", /private key/],
        [{ ca: "not a certificate" }, "/tls/ca", /PEM certificate/],
        [{ skipVerify: "yes" }, "/tls/skipVerify", /boolean/],
      ];
      for (const [tls, path, message] of cases) {
        const r = await endpoint(api, { url: "https://127.0.0.1:9/x", tls });
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errors[0].path, path);
        assert.match(r.body.errors[0].message, message);
      }
      // Replacing the certificate needs a key that matches it; the stored key is kept otherwise.
      const ok = await endpoint(api, { url: "https://127.0.0.1:9/x", tls: { clientCert: certs.clientCert, clientKey: certs.clientKey } });
      const mismatch = await api<Problem>("PATCH", `/v1/tenants/acme/endpoints/${ok.body.id}`, { tls: { clientCert: certs.wrongClientCert } });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.body.errors[0].path, "/tls/clientKey");
      const keep = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ok.body.id}`, { tls: { skipVerify: false, ca: certs.ca } });
      assert.equal(keep.status, 200, JSON.stringify(keep.body));
      assert.equal(keep.body.tls.clientKeySet, true);
      const dropped = await api<Ep>("PATCH", `/v1/tenants/acme/endpoints/${ok.body.id}`, { tls: { clientCert: null, clientKey: null } });
      assert.deepEqual(dropped.body.tls, { clientCert: null, clientCertInfo: null, clientKeySet: false, ca: certs.ca, skipVerify: false });
    });
  });

  it("reports every bad TLS field at once, each in a sentence that says what is wrong", async () => {
    await withServer({}, async ({ api }) => {
      const damaged = certs.clientKey.replace(/\n[A-Za-z0-9+/]{8}/, "\n!!not-b64");
      const r = await endpoint(api, { url: "https://127.0.0.1:9/x", tls: { ca: "not a certificate", clientCert: certs.clientCert, clientKey: damaged } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.deepEqual(
        r.body.errors.map((e) => e.path),
        ["/tls/ca", "/tls/clientKey"],
      );
      assert.match(r.body.errors[1].message, /^is not valid base64 PEM/);
      const sentences: [Record<string, unknown>, RegExp][] = [
        [{ clientCert: certs.clientCert, clientKey: certs.otherKey }, /^does not belong to this certificate/],
        [{ clientCert: certs.clientCert, clientKey: certs.clientCert }, /^is a certificate, not a private key/],
        [{ clientCert: certs.clientKey, clientKey: certs.clientKey }, /^holds a private key, not a certificate/],
        [
          { clientCert: certs.clientCert, clientKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----" },
          /encrypted with a passphrase/,
        ],
        [
          { clientCert: certs.clientCert, clientKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
          /^is not a private key: its base64 decodes/,
        ],
      ];
      for (const [tls, message] of sentences) {
        const one = await endpoint(api, { url: "https://127.0.0.1:9/x", tls });
        assert.equal(one.status, 400, JSON.stringify(one.body));
        assert.equal(one.body.errors.length, 1, JSON.stringify(one.body.errors));
        assert.match(one.body.errors[0].message, message);
        assert.doesNotMatch(one.body.errors[0].message, /routines|ERR_OSSL|DECODER/);
      }
    });
  });

  it("shows the stored client certificate's subject, issuer and expiry, and warns within 30 days of it", async () => {
    await withServer({}, async ({ api }) => {
      const r = await endpoint(api, { url: "https://127.0.0.1:9/x", tls: { clientCert: certs.clientCert, clientKey: certs.clientKey } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const info = r.body.tls.clientCertInfo as { subject: string; issuer: string; notAfter: string };
      assert.equal(info.subject, CLIENT_CN);
      assert.notEqual(info.issuer, CLIENT_CN, "the issuer is the client CA");
      // The test certificates are valid for two days.
      const left = Date.parse(info.notAfter) - Date.now();
      assert.ok(left > 0 && left <= 2 * 86_400_000 + 60_000, info.notAfter);
      assert.match(r.body.warnings.join("\n"), new RegExp(`tls.clientCert expires on ${info.notAfter.slice(0, 10)} \\(in [01] days?\\)`));
      const plain = await endpoint(api, { url: "https://127.0.0.1:9/y" });
      assert.equal(plain.body.tls.clientCertInfo, null);
      assert.deepEqual(plain.body.warnings, []);
    });
    // Three days on, the same certificate has expired.
    await withBackendServer(
      "sqlite",
      {},
      async ({ api }) => {
        const r = await endpoint(api, { url: "https://127.0.0.1:9/x", tls: { clientCert: certs.clientCert, clientKey: certs.clientKey } });
        assert.match(r.body.warnings.join("\n"), /tls.clientCert expired on .*: receivers will refuse it/);
      },
      () => Date.now() + 3 * 86_400_000,
    );
  });
});

describe("endpoint timeouts: connect", { timeout: 60_000 }, () => {
  it("records timeout_connect when the receiver never completes the TCP handshake, after connectMs", async () => {
    const hole = await startBlackhole();
    try {
      await withServer({}, async ({ api }) => {
        const ep = await endpoint(api, { url: `http://127.0.0.1:${hole.port}/x`, timeouts: { connectMs: 400, requestMs: 5000 } });
        const r = await testCall(api, ep.body.id);
        assert.equal(r.response, null);
        assert.equal(r.error?.class, "timeout_connect", JSON.stringify(r.error));
        assert.ok(r.durationMs >= 350 && r.durationMs < 4000, `${r.durationMs} ms`);
      });
    } finally {
      await hole.close();
    }
  });
});

describe("secrets at rest", () => {
  it("the SQLite files never hold a signing secret, password, token or client key in clear", async () => {
    const certs = await makeCerts();
    await withServer({}, async ({ api, dataDir }) => {
      const secrets = {
        signing: "whsec_Q2xlYXJUZXh0U2VjcmV0TXVzdE5vdEFwcGVhcg==",
        hmac: "hmac-clear-text-secret-4711",
        rotated: "rotated-clear-text-secret-0815",
        password: "basic-password-clear-text-1234",
        token: "bearer-token-clear-text-5678",
      };
      const a = await endpoint(api, {
        url: "http://127.0.0.1:9/a",
        secret: secrets.signing,
        auth: { type: "basic", username: "user-a", password: secrets.password },
      });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const b = await endpoint(api, {
        url: "https://127.0.0.1:9/b",
        secret: secrets.hmac,
        signing: { scheme: "hmac-sha256", header: "x-sig", prefix: "v1=" },
        auth: { type: "bearer", token: secrets.token },
        tls: { clientCert: certs.clientCert, clientKey: certs.clientKey },
      });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      const rot = await api("POST", `/v1/tenants/acme/endpoints/${b.body.id}/secret/rotate`, { secret: secrets.rotated });
      assert.equal(rot.status, 200);
      // The key's base64 body (without the PEM armour, which is the same in every key).
      const keyBody = certs.clientKey
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("");
      const needles = [...Object.values(secrets), Buffer.from(secrets.signing.slice(6), "base64").toString("latin1"), keyBody.slice(0, 40)];
      const files = readdirSync(dataDir).filter((f) => f.startsWith("tocsin.db") || f.endsWith(".db") || f.includes("-wal"));
      assert.ok(files.length > 0, `database files in ${dataDir}: ${readdirSync(dataDir).join(", ")}`);
      for (const f of files) {
        const bytes = readFileSync(join(dataDir, f)).toString("latin1");
        for (const n of needles) assert.equal(bytes.includes(n), false, `${f} holds ${n.slice(0, 12)}… in clear`);
      }
      // The secrets are still there, encrypted: the API reveals the signing secret on request.
      assert.equal((await api<{ secret: string }>("GET", `/v1/tenants/acme/endpoints/${a.body.id}/secret`)).body.secret, secrets.signing);
      // Positive control: a value that is stored in clear is found by the same scan.
      const control = files.some((f) => readFileSync(join(dataDir, f)).toString("latin1").includes("user-a"));
      assert.ok(control, "the scan finds a clear-text value (the basic-auth username)");
    });
  });
});

describe("secrets in logs", () => {
  it("a debug-level log of saving, delivering, testing, validating and rotating holds no secret", async () => {
    const rx = await startReceiver((r) => (r.path.startsWith("/h/") ? { status: 204 } : r.headers.authorization ? {} : { status: 401 }));
    const dir = tempDir();
    const server = await spawnServer(dir, "tsk_test_logs", { TOCSIN_LOG_LEVEL: "debug" });
    try {
      const secrets = ["log-password-clear-4711", "log-token-clear-0815", "hmac-log-secret-clear-1234", "rotated-log-secret-clear-5678"];
      const { api } = server;
      await api("POST", "/v1/tenants", { id: "acme" });
      const a = await api<Ep>("POST", "/v1/tenants/acme/endpoints", {
        url: `${rx.url}/h`,
        eventTypes: ["*"],
        auth: { type: "basic", username: "u", password: secrets[0] },
        secret: secrets[2],
        signing: { scheme: "hmac-sha256", header: "x-sig", prefix: "v1=" },
        validation: { mode: "token-path" },
      });
      const b = await api<Ep>("POST", "/v1/tenants/acme/endpoints", { url: `${rx.url}/b`, eventTypes: ["*"], auth: { type: "bearer", token: secrets[1] } });
      assert.deepEqual([a.status, b.status], [201, 201]);
      await eventually(async () => (await api<{ status: string }>("GET", `/v1/tenants/acme/endpoints/${a.body.id}`)).body.status === "active");
      await api("POST", "/v1/tenants/acme/events", { type: "x", payload: {} });
      await rx.waitFor(3);
      await api("POST", `/v1/tenants/acme/endpoints/${b.body.id}/test`, {});
      await api("POST", `/v1/tenants/acme/endpoints/${a.body.id}/secret/rotate`, { secret: secrets[3] });
      await api("PATCH", `/v1/tenants/acme/endpoints/${b.body.id}`, { auth: { token: `${secrets[1]}-2` } });
      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0);
      const log = server.output.join("\n");
      assert.match(log, /endpoint validation passed/, "the log covers the validation");
      assert.match(log, /endpoint secret rotated/, "the log covers the rotation");
      for (const s of secrets) assert.equal(log.includes(s), false, `the log holds ${s}`);
      assert.equal(log.includes(Buffer.from(`u:${secrets[0]}`).toString("base64")), false, "the log holds the basic-auth header");
    } finally {
      server.child.kill("SIGKILL");
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
