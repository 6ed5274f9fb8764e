import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Signing, verifyWebhook } from "../../../../packages/verify/src/index.ts";
import type { SigningSettings } from "../../../../src/core/types.ts";
import { keyForScheme, signatureHeaders } from "../../../../src/signing/schemes.ts";
import { generateSecret } from "../../../../src/signing/standard.ts";

// The verification library against the delivery engine's own signing code, for every scheme.
// The standard scheme's conformance (shared vector, official library) is in test/unit/signing/standard.test.ts.

const NOW = 1_790_000_000;
const BODY = '{"type":"alert.fired","data":{"score":9.50,"name":"héllo"}}';

const HMAC_FORMS: SigningSettings[] = [
  { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh", encoding: "hex", prefix: "", timestampHeader: null },
  { scheme: "hmac-sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=", timestampHeader: null },
  { scheme: "hmac-sha256", header: "x-signature", encoding: "base64", prefix: "", timestampHeader: "x-timestamp" },
  { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", encoding: "hex", prefix: "v1=", timestampHeader: null },
];

/** What the engine sends for `body` signed by `secrets` (current first), as a header object. */
function sent(signing: SigningSettings, secrets: string[], ts = NOW, body = BODY): Record<string, string> {
  const keys = secrets.map((s) => keyForScheme(signing, s)!);
  return Object.fromEntries(
    signatureHeaders(signing, keys, "msg_2x0", ts, body).concat([
      ["webhook-id", "msg_2x0"],
      ["webhook-timestamp", String(ts)],
    ]),
  );
}

const hmacSecret = "mon1tor-secret-0123456789";

describe("verifyWebhook", () => {
  it("verifies what the engine signs, under every hmac-sha256 form and the standard scheme", () => {
    for (const signing of HMAC_FORMS) {
      const r = verifyWebhook({ secret: hmacSecret, signing: signing as Signing, headers: sent(signing, [hmacSecret]), body: BODY, now: NOW * 1000 });
      assert.ok(r.ok, `${JSON.stringify(signing)}: ${JSON.stringify(r)}`);
      assert.equal(r.timestamp, signing.scheme === "hmac-sha256" && signing.timestampHeader ? NOW : null);
    }
    const secret = generateSecret();
    const std: SigningSettings = { scheme: "standard" };
    const r = verifyWebhook({ secret, headers: sent(std, [secret]), body: Buffer.from(BODY), now: new Date(NOW * 1000) });
    assert.deepEqual(r, { ok: true, id: "msg_2x0", timestamp: NOW, secretIndex: 0 });
  });

  it("accepts either secret while the sender signs with both during a rotation, and rejects a third", () => {
    const [next, prev, other] = [generateSecret(), generateSecret(), generateSecret()];
    for (const signing of [{ scheme: "standard" } as SigningSettings, HMAC_FORMS[3]]) {
      const headers = sent(signing, [next, prev]);
      for (const secret of [next, prev]) {
        assert.ok(
          verifyWebhook({ secret, signing: signing as Signing, headers, body: BODY, now: NOW * 1000 }).ok,
          `${signing.scheme} ${secret === next ? "new" : "old"}`,
        );
      }
      const r = verifyWebhook({ secret: other, signing: signing as Signing, headers, body: BODY, now: NOW * 1000 });
      assert.equal(r.ok ? "ok" : r.reason, "bad_signature");
    }
  });

  it("takes several secrets of its own and tells which one matched", () => {
    const signing = HMAC_FORMS[1];
    const r = verifyWebhook({
      secret: ["another-secret-abcdefgh", hmacSecret],
      signing: signing as Signing,
      headers: sent(signing, [hmacSecret]),
      body: BODY,
      now: NOW * 1000,
    });
    assert.deepEqual(r, { ok: true, id: null, timestamp: null, secretIndex: 1 });
  });

  it("rejects a changed body, a wrong secret, a wrong prefix or encoding, naming the header", () => {
    for (const signing of HMAC_FORMS) {
      const headers = sent(signing, [hmacSecret]);
      const check = (o: { body?: string; secret?: string; signing?: Signing }) =>
        verifyWebhook({ secret: o.secret ?? hmacSecret, signing: o.signing ?? (signing as Signing), headers, body: o.body ?? BODY, now: NOW * 1000 });
      for (const r of [check({ body: BODY.replace("9.50", "9.5") }), check({ secret: "wrong-secret-0123456789" })]) {
        assert.equal(r.ok, false);
        assert.equal(!r.ok && r.reason, "bad_signature");
        assert.ok(!r.ok && r.message.includes(signing.scheme === "hmac-sha256" ? signing.header : ""), !r.ok ? r.message : "");
      }
      if (signing.scheme !== "hmac-sha256") continue;
      const otherEncoding = { ...signing, encoding: signing.encoding === "hex" ? "base64" : "hex" } as Signing;
      const r = check({ signing: otherEncoding });
      assert.equal(!r.ok && r.reason, "bad_signature");
      assert.match(!r.ok ? r.message : "", /holds no (hex|base64) SHA-256 digest/);
    }
    const wrongPrefix = { ...HMAC_FORMS[1], prefix: "sha1=" } as Signing;
    const r = verifyWebhook({ secret: hmacSecret, signing: wrongPrefix, headers: sent(HMAC_FORMS[1], [hmacSecret]), body: BODY, now: NOW * 1000 });
    assert.equal(!r.ok && r.message, 'X-Hub-Signature-256 holds no hex SHA-256 digest after the prefix "sha1="');
  });

  it("names each missing header", () => {
    const std = verifyWebhook({ secret: generateSecret(), headers: { "webhook-id": "msg_1" }, body: BODY });
    assert.deepEqual(std, { ok: false, reason: "missing_header", message: "missing header webhook-timestamp, webhook-signature" });
    const ts = HMAC_FORMS[2];
    const headers = sent(ts, [hmacSecret]);
    delete headers["x-timestamp"];
    const r = verifyWebhook({ secret: hmacSecret, signing: ts as Signing, headers, body: BODY, now: NOW * 1000 });
    assert.deepEqual(r, { ok: false, reason: "missing_header", message: "missing header x-timestamp" });
  });

  it("checks the signed timestamp against the tolerance, either side, and skips the check at 0", () => {
    const signing = HMAC_FORMS[2];
    const headers = sent(signing, [hmacSecret]);
    const at = (nowSec: number, toleranceSec?: number) =>
      verifyWebhook({ secret: hmacSecret, signing: signing as Signing, headers, body: BODY, now: nowSec * 1000, toleranceSec });
    assert.ok(at(NOW + 300).ok);
    assert.ok(at(NOW - 300).ok);
    const late = at(NOW + 301);
    assert.deepEqual(late, {
      ok: false,
      reason: "timestamp_out_of_tolerance",
      message: `x-timestamp ${NOW} is 301 s in the past, more than the tolerance of 300 s (a replayed request, or a clock off)`,
    });
    assert.match(!at(NOW - 61, 60).ok ? (at(NOW - 61, 60) as { message: string }).message : "", /61 s in the future/);
    assert.ok(at(NOW + 86_400 * 365, 0).ok, "toleranceSec 0 turns the check off");
    // A timestamp changed to fit the window breaks the signature instead.
    const moved = verifyWebhook({
      secret: hmacSecret,
      signing: signing as Signing,
      headers: { ...headers, "x-timestamp": String(NOW + 1) },
      body: BODY,
      now: NOW * 1000,
    });
    assert.equal(!moved.ok && moved.reason, "bad_signature");
    const bad = verifyWebhook({ secret: hmacSecret, signing: signing as Signing, headers: { ...headers, "x-timestamp": "soon" }, body: BODY, now: NOW * 1000 });
    assert.equal(!bad.ok && bad.reason, "bad_timestamp");
  });

  it("reads headers in any case, from a plain object, a Headers, pairs or a Map, with repeated headers joined", () => {
    const secret = generateSecret();
    const std: SigningSettings = { scheme: "standard" };
    const h = sent(std, [secret]);
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    const forms = [upper, new Headers(h), Object.entries(h), new Map(Object.entries(h))];
    for (const headers of forms) assert.ok(verifyWebhook({ secret, headers, body: BODY, now: NOW * 1000 }).ok, String(headers.constructor.name));
    // Node gives a repeated header as an array: each line may carry one of the signatures.
    const other = sent(std, [generateSecret()])["webhook-signature"];
    const split = { ...h, "webhook-signature": [other, h["webhook-signature"]] };
    assert.ok(verifyWebhook({ secret, headers: split, body: BODY, now: NOW * 1000 }).ok);
  });

  it("refuses to call an unsigned request verified, and throws only on wrong options", () => {
    const r = verifyWebhook({ secret: "x", signing: { scheme: "none" }, headers: {}, body: BODY });
    assert.equal(!r.ok && r.reason, "not_signed");
    assert.throws(() => verifyWebhook({ secret: "", headers: {}, body: "" }), TypeError);
    assert.throws(() => verifyWebhook({ secret: [], headers: {}, body: "" }), TypeError);
    assert.throws(() => verifyWebhook({ secret: "s", headers: {}, body: "", toleranceSec: -1 }), TypeError);
    assert.throws(
      () => verifyWebhook({ secret: "s", signing: { scheme: "rsa-sha256" } as unknown as Signing, headers: {}, body: "" }),
      /unknown signing.scheme/,
    );
    assert.throws(
      () => verifyWebhook({ secret: "s", signing: { scheme: "hmac-sha256" } as unknown as Signing, headers: {}, body: "" }),
      /signing.header is required/,
    );
  });
});
