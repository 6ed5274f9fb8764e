import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { verifyWebhook } from "../../../packages/verify/src/index.ts";
import { generateSecret, isValidSecret, SECRET_PREFIX, secretKey, sign } from "../../../src/signing/standard.ts";

// The shared test vector from the Standard Webhooks specification and its reference libraries.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const nowSec = () => Math.floor(Date.now() / 1000);

function headers(id: string, ts: number | string, signature: string): Record<string, string> {
  return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature };
}

/** Runs the official library's verify and returns the error message it throws, or "ok". */
function officialVerify(secret: string, body: string, h: Record<string, string>): string {
  try {
    new Webhook(secret).verify(body, h);
    return "ok";
  } catch (e) {
    assert.ok(e instanceof WebhookVerificationError, `expected a WebhookVerificationError, got ${String(e)}`);
    return e.message;
  }
}

describe("sign", () => {
  it("reproduces the Standard Webhooks shared test vector", () => {
    assert.equal(sign(secretKey(SECRET), MSG_ID, TIMESTAMP, BODY), EXPECTED);
  });

  it("gives the same signature for a Buffer body as for the equivalent string", () => {
    const body = '{"name":"héllo 🔔"}';
    assert.equal(sign(secretKey(SECRET), MSG_ID, TIMESTAMP, Buffer.from(body, "utf8")), sign(secretKey(SECRET), MSG_ID, TIMESTAMP, body));
  });

  it("produces exactly what the official standardwebhooks library produces, for the vector and a generated secret", () => {
    assert.equal(new Webhook(SECRET).sign(MSG_ID, new Date(TIMESTAMP * 1000), BODY), sign(secretKey(SECRET), MSG_ID, TIMESTAMP, BODY));
    const secret = generateSecret();
    const body = '{"type":"alert.fired","data":{"n":1,"s":"é"}}';
    assert.equal(new Webhook(secret).sign("msg_x", new Date(1_700_000_000_000), body), sign(secretKey(secret), "msg_x", 1_700_000_000, body));
  });

  it("changes when the id, the timestamp or the body changes", () => {
    const key = secretKey(SECRET);
    const base = sign(key, MSG_ID, TIMESTAMP, BODY);
    assert.notEqual(sign(key, "msg_other", TIMESTAMP, BODY), base);
    assert.notEqual(sign(key, MSG_ID, TIMESTAMP + 1, BODY), base);
    assert.notEqual(sign(key, MSG_ID, TIMESTAMP, `${BODY} `), base);
  });
});

interface StandardInput {
  secret: string;
  id?: string;
  timestamp?: string;
  signatureHeader?: string;
  body: string;
  nowSec: number;
  toleranceSec?: number;
}

/** The verification library's verdict on a standard-scheme request, as ok or the reason. */
function verify(i: StandardInput): { ok: true } | { ok: false; reason: string } {
  const h: Record<string, string> = {};
  if (i.id !== undefined) h["webhook-id"] = i.id;
  if (i.timestamp !== undefined) h["webhook-timestamp"] = i.timestamp;
  if (i.signatureHeader !== undefined) h["webhook-signature"] = i.signatureHeader;
  const r = verifyWebhook({ secret: i.secret, signing: { scheme: "standard" }, headers: h, body: i.body, now: i.nowSec * 1000, toleranceSec: i.toleranceSec });
  return r.ok ? { ok: true } : { ok: false, reason: r.reason };
}

describe("verifyWebhook, standard scheme", () => {
  const key = secretKey(SECRET);
  const input = (over: Partial<StandardInput> = {}): StandardInput => ({
    secret: SECRET,
    id: MSG_ID,
    timestamp: String(TIMESTAMP),
    signatureHeader: EXPECTED,
    body: BODY,
    nowSec: TIMESTAMP,
    ...over,
  });

  it("accepts the shared test vector", () => {
    assert.deepEqual(verify(input()), { ok: true });
  });

  it("accepts a signature from sign, and the official library accepts it too", () => {
    const secret = generateSecret();
    const ts = nowSec();
    const body = '{"type":"alert.fired","payload":{"n":1}}';
    const signature = sign(secretKey(secret), "msg_1", ts, body);
    assert.deepEqual(verify({ secret, id: "msg_1", timestamp: String(ts), signatureHeader: signature, body, nowSec: ts }), { ok: true });
    assert.deepEqual(new Webhook(secret).verify(body, headers("msg_1", ts, signature)), JSON.parse(body));
  });

  it("accepts a signature made by the official library", () => {
    const ts = nowSec();
    const signature = new Webhook(SECRET).sign(MSG_ID, new Date(ts * 1000), BODY);
    assert.deepEqual(verify(input({ timestamp: String(ts), signatureHeader: signature, nowSec: ts })), { ok: true });
  });

  it("reports missing_header when any of id, timestamp or signature is absent or empty, as the official library does", () => {
    for (const over of [{ id: undefined }, { timestamp: undefined }, { signatureHeader: undefined }, { id: "" }, { timestamp: "" }, { signatureHeader: "" }]) {
      assert.deepEqual(verify(input(over)), { ok: false, reason: "missing_header" }, JSON.stringify(over));
    }
    const ts = nowSec();
    const sig = sign(key, MSG_ID, ts, BODY);
    assert.equal(officialVerify(SECRET, BODY, { "webhook-timestamp": String(ts), "webhook-signature": sig }), "Missing required headers");
    assert.equal(officialVerify(SECRET, BODY, { "webhook-id": MSG_ID, "webhook-signature": sig }), "Missing required headers");
    assert.equal(officialVerify(SECRET, BODY, { "webhook-id": MSG_ID, "webhook-timestamp": String(ts) }), "Missing required headers");
  });

  it("reports bad_timestamp for a timestamp that is not whole seconds", () => {
    for (const timestamp of ["not-a-number", "1614265330.5", "-1614265330", "+1614265330", "1e9", " 1614265330", "1234567890123"]) {
      assert.deepEqual(verify(input({ timestamp })), { ok: false, reason: "bad_timestamp" }, timestamp);
    }
    assert.equal(officialVerify(SECRET, BODY, headers(MSG_ID, "not-a-number", EXPECTED)), "Invalid Signature Headers");
  });

  it("reports timestamp_out_of_tolerance beyond 300 s either side of now, and accepts exactly 300 s", () => {
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP + 300 })), { ok: true });
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP - 300 })), { ok: true });
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP + 301 })), { ok: false, reason: "timestamp_out_of_tolerance" });
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP - 301 })), { ok: false, reason: "timestamp_out_of_tolerance" });
    // The official library rejects the same stale and future timestamps.
    const old = nowSec() - 301;
    assert.equal(officialVerify(SECRET, BODY, headers(MSG_ID, old, sign(key, MSG_ID, old, BODY))), "Message timestamp too old");
    const future = nowSec() + 400;
    assert.equal(officialVerify(SECRET, BODY, headers(MSG_ID, future, sign(key, MSG_ID, future, BODY))), "Message timestamp too new");
  });

  it("honours a custom toleranceSec", () => {
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP + 10, toleranceSec: 10 })), { ok: true });
    assert.deepEqual(verify(input({ nowSec: TIMESTAMP + 11, toleranceSec: 10 })), { ok: false, reason: "timestamp_out_of_tolerance" });
  });

  it("reports bad_signature for a wrong key, a changed body, id or timestamp, or a non-v1 scheme", () => {
    assert.deepEqual(verify(input({ secret: generateSecret() })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ body: '{"test": 2432232315}' })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ id: "msg_other" })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ timestamp: String(TIMESTAMP + 1) })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ signatureHeader: EXPECTED.replace("v1,", "v2,") })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ signatureHeader: EXPECTED.slice(3) })), { ok: false, reason: "bad_signature" });
    assert.deepEqual(verify(input({ signatureHeader: EXPECTED.slice(0, -4) })), { ok: false, reason: "bad_signature" });
    const ts = nowSec();
    assert.equal(officialVerify(SECRET, '{"test": 2432232315}', headers(MSG_ID, ts, sign(key, MSG_ID, ts, BODY))), "No matching signature found");
  });

  it("accepts a header with several space-separated signatures when one of them matches", () => {
    const wrong = sign(secretKey(generateSecret()), MSG_ID, TIMESTAMP, BODY);
    for (const header of [`${wrong} ${EXPECTED}`, `${EXPECTED} ${wrong}`, `v1a,abc ${wrong} ${EXPECTED}`, `v2,xyz ${EXPECTED}`]) {
      assert.deepEqual(verify(input({ signatureHeader: header })), { ok: true }, header);
    }
    assert.deepEqual(verify(input({ signatureHeader: `${wrong} v1,AAAA ${EXPECTED.replace("v1,", "v2,")}` })), {
      ok: false,
      reason: "bad_signature",
    });
    const ts = nowSec();
    const right = sign(key, MSG_ID, ts, BODY);
    assert.equal(officialVerify(SECRET, BODY, headers(MSG_ID, ts, `${wrong} ${right}`)), "ok");
  });
});

describe("generateSecret", () => {
  it("returns whsec_ followed by base64 of 32 random bytes, different each time", () => {
    const a = generateSecret();
    const b = generateSecret();
    assert.ok(a.startsWith(SECRET_PREFIX));
    assert.equal(secretKey(a).symmetricKeySize, 32);
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(a, b);
    assert.ok(isValidSecret(a));
  });
});

describe("isValidSecret", () => {
  const withBytes = (n: number) => SECRET_PREFIX + Buffer.alloc(n, 0xab).toString("base64");

  it("accepts the shared test vector's 24-byte secret", () => {
    assert.equal(isValidSecret(SECRET), true);
  });

  it("accepts 24 to 64 bytes and rejects 23 and 65", () => {
    assert.equal(isValidSecret(withBytes(23)), false);
    assert.equal(isValidSecret(withBytes(24)), true);
    assert.equal(isValidSecret(withBytes(32)), true);
    assert.equal(isValidSecret(withBytes(64)), true);
    assert.equal(isValidSecret(withBytes(65)), false);
  });

  it("rejects a secret without the whsec_ prefix or with non-base64 characters", () => {
    assert.equal(isValidSecret(SECRET.slice(SECRET_PREFIX.length)), false);
    assert.equal(isValidSecret(SECRET.replace("whsec_", "WHSEC_")), false);
    assert.equal(isValidSecret(`${SECRET}!`), false);
    assert.equal(isValidSecret(`${SECRET.slice(0, 12)} ${SECRET.slice(12)}`), false);
    assert.equal(isValidSecret(`${SECRET.slice(0, 12)}-_${SECRET.slice(14)}`), false);
    assert.equal(isValidSecret("whsec_"), false);
    assert.equal(isValidSecret(""), false);
  });
});

describe("secretKey", () => {
  it("decodes the base64 after whsec_, and the same base64 without the prefix", () => {
    const bytes = secretKey(SECRET).export();
    assert.equal(bytes.length, 24);
    assert.equal(bytes.toString("base64"), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert.deepEqual(secretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").export(), bytes);
  });
});
