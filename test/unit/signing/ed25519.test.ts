import assert from "node:assert/strict";
import { sign, verify } from "node:crypto";
import { describe, it } from "node:test";
import {
  generateKeyPair,
  isValidPublicKey,
  isValidSecretKey,
  privateKeyObject,
  publicKeyObject,
  publicKeyOf,
  signV1a,
  verifyV1a,
} from "../../../src/signing/ed25519.ts";
import { allowsSignatureList, keyForScheme, secretFitsScheme, signatureHeaders } from "../../../src/signing/schemes.ts";

// RFC 8032 section 7.1, TEST 1: the key pair and the signature of the empty message.
const SEED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
const PUB = Buffer.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "hex");
const SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const WHSK = `whsk_${Buffer.concat([SEED, PUB]).toString("base64")}`;
const WHPK = `whpk_${PUB.toString("base64")}`;

describe("ed25519 keys in the Standard Webhooks format", () => {
  it("reads whsk_ (seed then public key) and whpk_ (32 raw bytes) as RFC 8032 keys", () => {
    assert.equal(sign(null, Buffer.alloc(0), privateKeyObject(WHSK)).toString("hex"), SIG);
    assert.equal(verify(null, Buffer.alloc(0), publicKeyObject(WHPK), Buffer.from(SIG, "hex")), true);
    assert.equal(publicKeyOf(WHSK), WHPK);
  });

  it("generates key pairs whose halves belong together, and tells valid keys from others", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    assert.notEqual(a.secretKey, b.secretKey);
    assert.match(a.secretKey, /^whsk_[A-Za-z0-9+/]{86}==$/);
    assert.match(a.publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
    assert.equal(publicKeyOf(a.secretKey), a.publicKey);
    assert.equal(isValidSecretKey(a.secretKey), true);
    assert.equal(isValidPublicKey(a.publicKey), true);
    // A seed with another key pair's public half, wrong lengths, wrong prefixes.
    const mixed = `whsk_${Buffer.concat([Buffer.from(a.secretKey.slice(5), "base64").subarray(0, 32), PUB]).toString("base64")}`;
    for (const bad of [mixed, `whsk_${SEED.toString("base64")}`, a.publicKey, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsk_!!"]) {
      assert.equal(isValidSecretKey(bad), false, bad);
    }
    for (const bad of [a.secretKey, `whpk_${SEED.subarray(0, 31).toString("base64")}`, `whsec_${PUB.toString("base64")}`])
      assert.equal(isValidPublicKey(bad), false, bad);
  });

  it("v1a signs id.timestamp.body: the public key verifies it, and not another body, id or timestamp", () => {
    const sig = signV1a(privateKeyObject(WHSK), "msg_1", 1674087231, '{"a":1}');
    assert.match(sig, /^v1a,[A-Za-z0-9+/]{86}==$/);
    const raw = Buffer.from(sig.slice(4), "base64");
    const key = publicKeyObject(WHPK);
    assert.equal(verify(null, Buffer.from('msg_1.1674087231.{"a":1}'), key, raw), true);
    assert.equal(verifyV1a(key, "msg_1", 1674087231, Buffer.from('{"a":1}'), raw), true);
    assert.equal(verifyV1a(key, "msg_1", 1674087231, '{"a":2}', raw), false);
    assert.equal(verifyV1a(key, "msg_2", 1674087231, '{"a":1}', raw), false);
    assert.equal(verifyV1a(key, "msg_1", 1674087232, '{"a":1}', raw), false);
  });
});

describe("the ed25519 scheme among the others", () => {
  it("signs with the whsk_ key only, lists the previous key's signature after the current one, and keeps no HMAC secret", () => {
    const signing = { scheme: "ed25519" } as const;
    assert.equal(allowsSignatureList(signing), true);
    assert.equal(secretFitsScheme(signing, WHSK), true);
    assert.equal(secretFitsScheme(signing, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), false);
    assert.equal(keyForScheme(signing, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), null);
    const prev = generateKeyPair();
    const keys = [keyForScheme(signing, WHSK)!, keyForScheme(signing, prev.secretKey)!];
    const headers = signatureHeaders(signing, keys, "msg_1", 1674087231, "{}");
    assert.equal(headers.length, 1);
    const [name, value] = headers[0]!;
    assert.equal(name, "webhook-signature");
    const [current, previous] = value.split(" ").map((e) => Buffer.from(e.slice(4), "base64"));
    assert.equal(verifyV1a(publicKeyObject(WHPK), "msg_1", 1674087231, "{}", current!), true);
    assert.equal(verifyV1a(publicKeyObject(prev.publicKey), "msg_1", 1674087231, "{}", previous!), true);
  });
});
