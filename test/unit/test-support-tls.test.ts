import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import { startBlackhole } from "../support/blackhole.ts";
import { CLIENT_CN, type Certs, makeCerts } from "../support/certs.ts";
import { type TlsReceiver, startTlsReceiver } from "../support/tls-receiver.ts";

// The TLS and connect-timeout fixtures themselves, checked against real clients (undici, net).

type ConnectOptions = NonNullable<ConstructorParameters<typeof Agent>[0]>["connect"];

/** One GET through a fresh undici Agent; every phase bounded. Resolves to the status and body. */
async function get(url: string, connectOptions: ConnectOptions = {}): Promise<{ status: number; body: string }> {
  const dispatcher = new Agent({ connect: { timeout: 3_000, ...connectOptions }, headersTimeout: 3_000, bodyTimeout: 3_000 });
  try {
    const res = await request(url, { dispatcher, signal: AbortSignal.timeout(5_000) });
    return { status: res.statusCode, body: await res.body.text() };
  } finally {
    await dispatcher.destroy();
  }
}

/** Rejects with the error's code (or message) so assertions can look at it. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    return [e.code, e.cause?.code, e.message].filter(Boolean).join(" ");
  }
  assert.fail("expected the request to fail");
}

const TLS_ERROR = /CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED|ALERT|certificate/i;

describe("test support: TLS fixtures", { timeout: 30_000 }, () => {
  let certs: Certs;
  before(async () => {
    certs = await makeCerts();
  });
  after(() => certs?.cleanup());

  it("generates PKCS#8 EC keys and caches the material per process", async () => {
    for (const key of [certs.serverKey, certs.selfSignedKey, certs.clientKey, certs.wrongClientKey, certs.otherKey]) {
      assert.match(key, /^-----BEGIN PRIVATE KEY-----/);
    }
    assert.equal(await makeCerts(), certs);
  });

  describe("CA-signed receiver", () => {
    let rx: TlsReceiver;
    before(async () => {
      rx = await startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey, script: () => ({ status: 201, body: "hi" }) });
    });
    after(() => rx?.close());

    it("is reachable over https with the CA, by IP and by name", async () => {
      assert.match(rx.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(await get(rx.url + "/hook", { ca: certs.ca }), { status: 201, body: "hi" });
      assert.deepEqual(await get(`https://localhost:${rx.port}/named`, { ca: certs.ca }), { status: 201, body: "hi" });
      const got = await rx.waitFor(2, 2_000);
      assert.equal(got[0].path, "/hook");
      assert.equal(got[0].clientCertSubject, undefined);
    });

    it("fails with a TLS error without the CA", async () => {
      const before = rx.requests.length;
      assert.match(await failure(get(rx.url)), TLS_ERROR);
      assert.match(await failure(get(rx.url, { ca: certs.clientCa })), TLS_ERROR);
      assert.equal(rx.requests.length, before);
    });
  });

  describe("self-signed receiver", () => {
    let rx: TlsReceiver;
    before(async () => {
      rx = await startTlsReceiver({ cert: certs.selfSignedCert, key: certs.selfSignedKey });
    });
    after(() => rx?.close());

    it("fails by default and works when the cert itself is pinned as the CA", async () => {
      assert.match(await failure(get(rx.url)), TLS_ERROR);
      assert.match(await failure(get(rx.url, { ca: certs.ca })), TLS_ERROR);
      assert.deepEqual(await get(rx.url, { ca: certs.selfSignedCert }), { status: 200, body: "ok" });
    });
  });

  describe("receiver that requires a client certificate", () => {
    let rx: TlsReceiver;
    before(async () => {
      rx = await startTlsReceiver({ cert: certs.serverCert, key: certs.serverKey, ca: certs.clientCa, requestCert: true });
    });
    after(() => rx?.close());

    it("accepts a client cert from the client CA and records its CN", async () => {
      assert.deepEqual(await get(rx.url + "/mtls", { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }), { status: 200, body: "ok" });
      const [r] = await rx.waitFor(1, 2_000, (r) => r.path === "/mtls");
      assert.equal(r.clientCertSubject, CLIENT_CN);
    });

    it("rejects a client without a cert, or with one from another CA", async () => {
      const before = rx.requests.length;
      // TLS 1.3: the client's handshake is done before the server looks at its cert, so undici
      // typically reports the socket closing under the request (UND_ERR_SOCKET "other side
      // closed"), not a certificate error.
      const REJECTED = /CERT|SSL|TLS|ALERT|certificate|ECONNRESET|UND_ERR_SOCKET|other side closed/i;

      const errorsBefore = rx.tlsClientErrors.length;
      assert.match(await failure(get(rx.url + "/none", { ca: certs.ca })), REJECTED);
      const [noCert] = (await rx.waitForTlsClientErrors(errorsBefore + 1, 2_000)).slice(errorsBefore);
      assert.equal(noCert.code, "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");

      assert.match(await failure(get(rx.url + "/wrong", { ca: certs.ca, cert: certs.wrongClientCert, key: certs.wrongClientKey })), REJECTED);
      const [wrongCert] = (await rx.waitForTlsClientErrors(errorsBefore + 2, 2_000)).slice(errorsBefore + 1);
      assert.match(wrongCert.authorizationError ?? "", /UNABLE_TO_VERIFY|CERT|ISSUER/);

      assert.equal(rx.requests.length, before);
    });

    it("refuses a client cert whose key does not match", async () => {
      assert.match(
        await failure(get(rx.url, { ca: certs.ca, cert: certs.clientCert, key: certs.otherKey })),
        /key values mismatch|KEY_VALUES_MISMATCH|X509_check_private_key/i,
      );
    });
  });
});

describe("test support: blackhole", { timeout: 20_000 }, () => {
  it("a TCP connect neither completes nor fails within 500 ms", async () => {
    const hole = await startBlackhole();
    try {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: hole.port });
        const done = (what: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(what);
        };
        const timer = setTimeout(() => done("pending"), 500);
        socket.once("connect", () => done("connected"));
        socket.once("error", (err) => done(`error ${err.message}`));
      });
      assert.equal(outcome, "pending");
    } finally {
      await hole.close();
    }
  });

  it("close() is idempotent and frees nothing else", async () => {
    const hole = await startBlackhole();
    await hole.close();
    await hole.close();
  });
});
