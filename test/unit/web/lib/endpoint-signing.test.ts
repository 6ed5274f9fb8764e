import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allowsSignatureList } from "../../../../src/signing/schemes.ts";
import type { SigningSettings } from "../../../../src/core/types.ts";
import { newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { SIGNING_PRESETS, applyPreset, presetOf, receiverCommand, rotationEffect } from "../../../../web/src/lib/endpoint-signing.ts";
import { formToCreate } from "../../../../web/src/lib/endpoint-form.ts";

describe("web console: signing presets", () => {
  it("sets exactly the signing the docs give for each vendor", () => {
    const signing = (id: (typeof SIGNING_PRESETS)[number]["id"]) =>
      formToCreate({ ...applyPreset(newEndpointForm(), id), url: "https://h.example/" }).body?.signing;
    assert.equal(signing("standard"), undefined, "Standard Webhooks is the default: nothing to send");
    assert.deepEqual(signing("mon1tor"), { scheme: "hmac-sha256", header: "x-mon1tor-sha256-wh", encoding: "hex", prefix: "", timestampHeader: null });
    assert.deepEqual(signing("github"), { scheme: "hmac-sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=", timestampHeader: null });
    assert.deepEqual(signing("grafana"), {
      scheme: "hmac-sha256",
      header: "X-Grafana-Alerting-Signature",
      encoding: "hex",
      prefix: "",
      timestampHeader: "X-Grafana-Alerting-Signature-Timestamp",
    });
    assert.deepEqual(signing("pagerduty"), { scheme: "hmac-sha256", header: "X-PagerDuty-Signature", encoding: "hex", prefix: "v1=", timestampHeader: null });
  });

  it("recognises a preset in stored settings, header names in any case, and nothing else", () => {
    const f = applyPreset(newEndpointForm(), "github");
    assert.equal(presetOf({ ...f, signingHeader: "x-hub-signature-256" })?.id, "github");
    assert.equal(presetOf({ ...f, signingPrefix: "" }), null);
    assert.equal(presetOf({ ...f, signingEncoding: "base64" }), null);
    assert.equal(presetOf({ ...newEndpointForm(), signingScheme: "none" }), null);
    assert.equal(presetOf(newEndpointForm())?.id, "standard");
  });

  it("gives the example receiver's command with the settings each preset needs", () => {
    assert.equal(receiverCommand(newEndpointForm()), "TOCSIN_SECRET=whsec_… \\\n  node examples/receivers/typescript/receiver.ts");
    assert.equal(
      receiverCommand(applyPreset(newEndpointForm(), "grafana")),
      "TOCSIN_SECRET=whsec_… SIGNING_SCHEME=hmac-sha256 SIGNATURE_HEADER=X-Grafana-Alerting-Signature TIMESTAMP_HEADER=X-Grafana-Alerting-Signature-Timestamp \\\n  node examples/receivers/typescript/receiver.ts",
    );
    assert.match(receiverCommand(applyPreset(newEndpointForm(), "github"))!, / SIGNATURE_PREFIX=sha256= /);
    assert.match(receiverCommand({ ...applyPreset(newEndpointForm(), "github"), signingEncoding: "base64" })!, / SIGNATURE_ENCODING=base64 /);
    assert.equal(receiverCommand({ ...newEndpointForm(), signingScheme: "none" }), null);
    assert.equal(
      receiverCommand({ ...newEndpointForm(), signingScheme: "ed25519" }),
      "SIGNING_SCHEME=ed25519 TOCSIN_PUBLIC_KEY=whpk_… \\\n  node examples/receivers/typescript/receiver.ts",
    );
    assert.equal(presetOf({ ...newEndpointForm(), signingScheme: "ed25519" }), null);
  });

  it("says rotation overlaps exactly where the server lets the header carry two signatures", () => {
    const cases: SigningSettings[] = [
      { scheme: "standard" },
      { scheme: "ed25519" },
      { scheme: "none" },
      ...SIGNING_PRESETS.filter((p) => p.fields.signingScheme === "hmac-sha256").map((p): SigningSettings => ({
        scheme: "hmac-sha256",
        header: p.fields.signingHeader,
        encoding: "hex",
        prefix: p.fields.signingPrefix,
        timestampHeader: p.fields.signingTimestampHeader || null,
      })),
      { scheme: "hmac-sha256", header: "X-Sig", encoding: "base64", prefix: "v2=", timestampHeader: null },
    ];
    for (const s of cases) {
      const effect = rotationEffect(s);
      assert.equal(effect.overlap, allowsSignatureList(s), JSON.stringify(s));
      assert.match(effect.text, effect.overlap ? /24 hours/ : /from the moment you rotate|unsigned/, JSON.stringify(s));
    }
    assert.match(
      rotationEffect({ scheme: "hmac-sha256", header: "X-Hub-Signature-256", prefix: "sha256=" }).text,
      /^X-Hub-Signature-256 carries a single signature/,
    );
    assert.match(rotationEffect({ scheme: "ed25519" }).text, /^A new key pair is made\. For 24 hours every webhook carries two v1a signatures/);
  });
});
