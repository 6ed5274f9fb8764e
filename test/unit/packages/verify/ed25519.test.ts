import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { verifyWebhook } from "../../../../packages/verify/src/index.ts";
import { generateKeyPair, privateKeyObject, signV1a } from "../../../../src/signing/ed25519.ts";
import { generateSecret, secretKey, sign } from "../../../../src/signing/standard.ts";

// @tocsin/verify with ed25519 (Standard Webhooks v1a) against the engine's own signing code (src/signing).

const NOW = 1_790_000_000;
const BODY = '{"type":"alert.fired","data":{"score":9.50,"name":"héllo"}}';

/** The headers the engine sends for BODY, signed with each whsk_ key (current first). */
function sent(secretKeys: string[], body = BODY): Record<string, string> {
  const signature = secretKeys.map((k) => signV1a(privateKeyObject(k), "msg_2x0", NOW, body)).join(" ");
  return { "webhook-id": "msg_2x0", "webhook-timestamp": String(NOW), "webhook-signature": signature };
}

describe("verifyWebhook with a whpk_ public key", () => {
  const current = generateKeyPair();
  const previous = generateKeyPair();

  it("verifies the engine's v1a signature with the public key alone, under scheme ed25519 and under standard", () => {
    for (const signing of [{ scheme: "ed25519" } as const, { scheme: "standard" } as const, undefined]) {
      const r = verifyWebhook({ secret: current.publicKey, signing, headers: sent([current.secretKey]), body: BODY, now: NOW * 1000 });
      assert.deepEqual(r, { ok: true, id: "msg_2x0", timestamp: NOW, secretIndex: 0 }, JSON.stringify(signing));
    }
  });

  it("refuses a changed body, another key pair's public key, and a stale timestamp", () => {
    const signing = { scheme: "ed25519" } as const;
    const headers = sent([current.secretKey]);
    const forged = verifyWebhook({ secret: current.publicKey, signing, headers, body: BODY.replace("9.50", "9.51"), now: NOW * 1000 });
    assert.equal(forged.ok, false);
    assert.equal(!forged.ok && forged.reason, "bad_signature");
    assert.match(!forged.ok ? forged.message : "", /public key/);
    const other = verifyWebhook({ secret: previous.publicKey, signing, headers, body: BODY, now: NOW * 1000 });
    assert.equal(other.ok, false);
    const stale = verifyWebhook({ secret: current.publicKey, signing, headers, body: BODY, now: (NOW + 301) * 1000 });
    assert.equal(!stale.ok && stale.reason, "timestamp_out_of_tolerance");
  });

  it("during a rotation's overlap, either public key verifies; the index says which matched", () => {
    const headers = sent([current.secretKey, previous.secretKey]);
    assert.equal(headers["webhook-signature"]!.split(" ").length, 2);
    for (const [keys, index] of [
      [[previous.publicKey], 0],
      [[current.publicKey], 0],
      [[generateKeyPair().publicKey, current.publicKey], 1],
    ] as const) {
      const r = verifyWebhook({ secret: keys, signing: { scheme: "ed25519" }, headers, body: BODY, now: NOW * 1000 });
      assert.ok(r.ok && r.secretIndex === index, JSON.stringify(r));
    }
  });

  it("a public key checks only v1a entries and a secret only v1 entries, in one header holding both", () => {
    const secret = generateSecret();
    const v1 = sign(secretKey(secret), "msg_2x0", NOW, BODY);
    const headers = { ...sent([current.secretKey]), "webhook-signature": `${v1} ${sent([current.secretKey])["webhook-signature"]}` };
    assert.ok(verifyWebhook({ secret, headers, body: BODY, now: NOW * 1000 }).ok);
    assert.ok(verifyWebhook({ secret: current.publicKey, headers, body: BODY, now: NOW * 1000 }).ok);
    // A v1 signature only: the public key finds nothing to check.
    const onlyV1 = verifyWebhook({ secret: current.publicKey, headers: { ...headers, "webhook-signature": v1 }, body: BODY, now: NOW * 1000 });
    assert.equal(!onlyV1.ok && onlyV1.message, "webhook-signature holds no v1a signature");
    // A v1a signature only: the secret finds nothing to check.
    const onlyV1a = verifyWebhook({ secret, headers: sent([current.secretKey]), body: BODY, now: NOW * 1000 });
    assert.equal(!onlyV1a.ok && onlyV1a.message, "webhook-signature holds no v1 signature");
  });

  it("throws a TypeError for a malformed whpk_ key, or a secret under scheme ed25519", () => {
    const headers = sent([current.secretKey]);
    assert.throws(() => verifyWebhook({ secret: "whpk_AAAA", headers, body: BODY }), TypeError);
    assert.throws(() => verifyWebhook({ secret: generateSecret(), signing: { scheme: "ed25519" }, headers, body: BODY }), /public key \(whpk_/);
  });
});
