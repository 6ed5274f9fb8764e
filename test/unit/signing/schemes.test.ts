import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { defaultSettings, passesSeverity } from "../../../src/core/endpoint-settings.ts";
import type { Endpoint } from "../../../src/core/types.ts";
import { buildRequest, compileProfile, redactedHeaders } from "../../../src/delivery/request.ts";
import { tokenPathUrl } from "../../../src/services/endpoints.ts";
import { allowsSignatureList, isValidHmacSecret, keyForScheme, signatureHeaders } from "../../../src/signing/schemes.ts";

const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const hex = (k: string, m: string) => createHmac("sha256", Buffer.from(k, "utf8")).update(m).digest("hex");

function endpoint(settings: Partial<Endpoint["settings"]>, extra: Partial<Endpoint> = {}): Endpoint {
  return {
    id: "ep_1",
    tenantId: "t",
    url: "https://hooks.example.com/a",
    name: null,
    description: null,
    eventTypes: ["*"],
    minSeverity: null,
    settings: { ...defaultSettings(), ...settings },
    enabled: true,
    disabledReason: null,
    fallbackEndpointId: null,
    validationStatus: "none",
    validationError: null,
    validatedAt: null,
    previousSecretExpiresAt: null,
    version: 3,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

describe("signing schemes", () => {
  it("allows a signature list only for standard and the v1= prefix", () => {
    assert.equal(allowsSignatureList({ scheme: "standard" }), true);
    assert.equal(allowsSignatureList({ scheme: "hmac-sha256", header: "x", encoding: "hex", prefix: "v1=", timestampHeader: null }), true);
    assert.equal(allowsSignatureList({ scheme: "hmac-sha256", header: "x", encoding: "hex", prefix: "sha256=", timestampHeader: null }), false);
    assert.equal(allowsSignatureList({ scheme: "none" }), false);
  });

  it("keys hmac-sha256 with the secret's UTF-8 text and standard with the bytes after whsec_", () => {
    const hmac = { scheme: "hmac-sha256" as const, header: "x-sig", encoding: "hex" as const, prefix: "", timestampHeader: null };
    const [[, v]] = signatureHeaders(hmac, [keyForScheme(hmac, WHSEC)!], "id", 1, "body");
    assert.equal(v, hex(WHSEC, "body"));
    assert.equal(keyForScheme({ scheme: "standard" }, "not-whsec-secret-text"), null);
    assert.equal(keyForScheme({ scheme: "none" }, WHSEC), null);
  });

  it("accepts 16 to 256 printable characters as an hmac secret, nothing else", () => {
    assert.equal(isValidHmacSecret("a".repeat(16)), true);
    assert.equal(isValidHmacSecret("a".repeat(256)), true);
    for (const bad of ["a".repeat(15), "a".repeat(257), "with space in it!!", "tab\there-0123456789", "ünïcödé-0123456789"])
      assert.equal(isValidHmacSecret(bad), false, bad);
  });

  it("sends only the first key where the header holds one signature", () => {
    const gh = { scheme: "hmac-sha256" as const, header: "x-hub-signature-256", encoding: "hex" as const, prefix: "sha256=", timestampHeader: null };
    const keys = [keyForScheme(gh, "new-secret-0123456789")!, keyForScheme(gh, "old-secret-0123456789")!];
    assert.deepEqual(signatureHeaders(gh, keys, "id", 1, "b"), [["x-hub-signature-256", `sha256=${hex("new-secret-0123456789", "b")}`]]);
  });
});

describe("request builder", () => {
  it("orders headers, lets custom headers replace content-type, adds auth and both standard signatures while the overlap lasts", () => {
    const e = endpoint(
      { method: "PUT", headers: { "Content-Type": "text/plain", "X-Team": "soc" }, auth: { type: "basic", username: "u" } },
      { previousSecretExpiresAt: 2_000_000 },
    );
    const p = compileProfile(
      e,
      { secret: WHSEC, previousSecret: "whsec_dGhpc2lzYW5vbGRzZWNyZXRmb3J0ZXN0aW5nISE=", credentials: { password: "p" } },
      "Tocsin/test",
    );
    const ts = Math.floor(Date.now() / 1000);
    const during = buildRequest(p, { id: "evt_1", timestampSec: ts, body: "{}" }, 1_999_999);
    assert.equal(during.method, "PUT");
    assert.deepEqual(Object.keys(during.headers), [
      "Content-Type",
      "user-agent",
      "X-Team",
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
      "authorization",
    ]);
    assert.equal(during.headers["Content-Type"], "text/plain");
    assert.equal(during.headers.authorization, `Basic ${Buffer.from("u:p").toString("base64")}`);
    assert.equal(during.headers["webhook-signature"].split(" ").length, 2);
    new Webhook(WHSEC).verify("{}", during.headers);
    new Webhook("whsec_dGhpc2lzYW5vbGRzZWNyZXRmb3J0ZXN0aW5nISE=").verify("{}", during.headers);
    const afterOverlap = buildRequest(p, { id: "evt_1", timestampSec: 1000, body: "{}" }, 2_000_000);
    assert.equal(afterOverlap.headers["webhook-signature"].split(" ").length, 1);
    assert.deepEqual(redactedHeaders(during.headers).authorization, "Basic [redacted]");
  });

  it("shares a pool key between endpoints without TLS options, and gives TLS options their own", () => {
    const plain = compileProfile(endpoint({}), { secret: WHSEC, previousSecret: null, credentials: {} }, "ua");
    const other = compileProfile(endpoint({}, { id: "ep_2" }), { secret: WHSEC, previousSecret: null, credentials: {} }, "ua");
    const tls = compileProfile(
      endpoint({ tls: { clientCert: null, ca: null, skipVerify: true } }),
      { secret: WHSEC, previousSecret: null, credentials: {} },
      "ua",
    );
    assert.equal(plain.transport.poolKey, other.transport.poolKey);
    assert.notEqual(tls.transport.poolKey, plain.transport.poolKey);
    assert.equal(tls.transport.skipVerify, true);
  });

  it("appends the validation token as one more path segment, keeping the query", () => {
    assert.equal(tokenPathUrl("https://www.example.com/webhook/mon1tor", "123456789"), "https://www.example.com/webhook/mon1tor/123456789");
    assert.equal(tokenPathUrl("https://www.example.com/webhook/", "t"), "https://www.example.com/webhook/t");
    assert.equal(tokenPathUrl("https://www.example.com/h?x=1", "t"), "https://www.example.com/h/t?x=1");
  });
});

describe("severity", () => {
  it("orders info < low < medium < high < critical; no minimum passes everything, a minimum needs a severity", () => {
    assert.equal(passesSeverity(null, null), true);
    assert.equal(passesSeverity(null, "info"), true);
    assert.equal(passesSeverity("medium", null), false);
    assert.equal(passesSeverity("medium", "low"), false);
    assert.equal(passesSeverity("medium", "medium"), true);
    assert.equal(passesSeverity("medium", "critical"), true);
    assert.equal(passesSeverity("critical", "high"), false);
  });
});
