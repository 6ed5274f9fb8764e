import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withFormLabels } from "../../../../web/src/lib/endpoint-errors.ts";
import { certExpiry, expirySentence, tlsAdvice } from "../../../../web/src/lib/endpoint-tls.ts";
import { receivesType, subscribedTypes } from "../../../../web/src/lib/endpoint-types.ts";
import { matchesEventType } from "../../../../src/core/event-types.ts";

const NOW = Date.parse("2027-01-01T00:00:00Z");

describe("web console: TLS in words", () => {
  it("warns within 30 days of a client certificate's expiry, and after it", () => {
    assert.deepEqual(certExpiry("2027-03-01T00:00:00Z", NOW), { state: "valid", days: 59, date: "2027-03-01" });
    assert.deepEqual(certExpiry("2027-01-12T12:00:00Z", NOW), { state: "soon", days: 11, date: "2027-01-12" });
    assert.equal(certExpiry("2026-12-31T00:00:00Z", NOW).state, "expired");
    assert.equal(expirySentence(certExpiry("2027-01-02T00:00:00Z", NOW)), "Expires on 2027-01-02 (in 1 day): renew it before receivers refuse it.");
    assert.match(expirySentence(certExpiry("2026-12-31T00:00:00Z", NOW)), /^Expired on 2026-12-31/);
  });

  it("suggests Extra CA certificates for a private, self-signed or unknown CA, and other fields for other failures", () => {
    for (const m of [
      "SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain",
      "DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY: unable to get local issuer certificate",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate",
    ]) {
      assert.equal(tlsAdvice(m)?.field, "Extra CA certificates", m);
    }
    assert.equal(tlsAdvice("CERT_HAS_EXPIRED: certificate has expired")?.field, null);
    assert.equal(tlsAdvice("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: tlsv13 alert certificate required")?.field, "Client certificate");
    assert.equal(tlsAdvice("ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9"), null);
  });

  it("puts the API's field names as the form labels them", () => {
    assert.equal(withFormLabels("is required with tls.clientKey"), "is required with Client key");
    assert.equal(withFormLabels("tls.clientCert expired on 2027-01-01"), "Client certificate expired on 2027-01-01");
    assert.equal(withFormLabels("/tls/ca: is damaged"), "Extra CA certificates: is damaged");
    assert.equal(withFormLabels("url: a.test resolves to a private or reserved address"), "URL: a.test resolves to a private or reserved address");
    assert.doesNotMatch(withFormLabels("must differ from signing.header"), /signing\./);
  });
});

describe("web console: the types a webhook receives", () => {
  it("matches as the server does", () => {
    const types = ["alert", "alert.fired", "alert.fired.high", "alerts.x", "leak", "tocsin.endpoint.disabled"];
    for (const patterns of [["*"], ["alert.*"], ["alert"], ["leak", "tocsin.*"], [], ["tocsin.endpoint.disabled", "*"]]) {
      for (const t of types) assert.equal(receivesType(patterns, t), matchesEventType(patterns, t), `${patterns.join(",")} ${t}`);
    }
    assert.deepEqual(subscribedTypes(["alert.*", "leak"], types), ["alert.fired", "alert.fired.high", "leak"]);
  });
});
