/**
 * Signing presets for the endpoint form: one click sets the signing fields as a vendor's receivers
 * expect them (docs/signing.md), the command that runs the example receiver for those settings,
 * and what rotating the secret does for them. No React here, so it is unit-tested on its own.
 */
import type { EndpointForm } from "./endpoint-form-state.ts";

type SigningFields = Pick<EndpointForm, "signingScheme" | "signingHeader" | "signingEncoding" | "signingPrefix" | "signingTimestampHeader">;

export interface SigningPreset {
  id: "standard" | "mon1tor" | "github" | "grafana" | "pagerduty";
  label: string;
  /** What the receiver gets, in a few words. */
  summary: string;
  fields: SigningFields;
}

const hmac = (signingHeader: string, signingPrefix = "", signingTimestampHeader = ""): SigningFields => ({
  signingScheme: "hmac-sha256",
  signingHeader,
  signingEncoding: "hex",
  signingPrefix,
  signingTimestampHeader,
});

export const SIGNING_PRESETS: readonly SigningPreset[] = [
  {
    id: "standard",
    label: "Standard Webhooks",
    summary: "webhook-signature: v1,<base64>, over id, timestamp and body (the default)",
    fields: { signingScheme: "standard", signingHeader: "", signingEncoding: "hex", signingPrefix: "", signingTimestampHeader: "" },
  },
  { id: "mon1tor", label: "mon1tor", summary: "x-mon1tor-sha256-wh: <hex> of the body", fields: hmac("x-mon1tor-sha256-wh") },
  { id: "github", label: "GitHub", summary: "X-Hub-Signature-256: sha256=<hex> of the body", fields: hmac("X-Hub-Signature-256", "sha256=") },
  {
    id: "grafana",
    label: "Grafana",
    summary: "X-Grafana-Alerting-Signature: <hex> of <seconds>:<body>, seconds in X-Grafana-Alerting-Signature-Timestamp",
    fields: hmac("X-Grafana-Alerting-Signature", "", "X-Grafana-Alerting-Signature-Timestamp"),
  },
  { id: "pagerduty", label: "PagerDuty", summary: "X-PagerDuty-Signature: v1=<hex> of the body", fields: hmac("X-PagerDuty-Signature", "v1=") },
];

/** The form with a preset's signing fields applied; nothing else changes. */
export function applyPreset(form: EndpointForm, id: SigningPreset["id"]): EndpointForm {
  const p = SIGNING_PRESETS.find((x) => x.id === id);
  return p ? { ...form, ...p.fields } : form;
}

/** The preset the form's signing fields match (header names compare case-insensitively), or null (custom or unsigned). */
export function presetOf(form: EndpointForm): SigningPreset | null {
  if (form.signingScheme === "standard") return SIGNING_PRESETS[0]!;
  if (form.signingScheme !== "hmac-sha256") return null;
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.toLowerCase();
  return (
    SIGNING_PRESETS.find(
      (p) =>
        p.fields.signingScheme === "hmac-sha256" &&
        same(form.signingHeader, p.fields.signingHeader) &&
        form.signingEncoding === p.fields.signingEncoding &&
        form.signingPrefix.trim() === p.fields.signingPrefix &&
        same(form.signingTimestampHeader, p.fields.signingTimestampHeader),
    ) ?? null
  );
}

/** A value for a POSIX shell, quoted only when it needs to be. */
function shellWord(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that runs the example receiver (examples/receivers/typescript/receiver.ts, see
 * docs/signing.md) with the verification these fields need; the secret stays a placeholder.
 */
export function receiverCommand(f: SigningFields): string | null {
  if (f.signingScheme === "none") return null;
  if (f.signingScheme === "ed25519") return "SIGNING_SCHEME=ed25519 TOCSIN_PUBLIC_KEY=whpk_… \\\n  node examples/receivers/typescript/receiver.ts";
  const env: [string, string][] = [["TOCSIN_SECRET", "whsec_…"]];
  if (f.signingScheme === "hmac-sha256") {
    env.push(["SIGNING_SCHEME", "hmac-sha256"], ["SIGNATURE_HEADER", f.signingHeader.trim() || "<header>"]);
    if (f.signingEncoding !== "hex") env.push(["SIGNATURE_ENCODING", f.signingEncoding]);
    if (f.signingPrefix.trim()) env.push(["SIGNATURE_PREFIX", f.signingPrefix.trim()]);
    if (f.signingTimestampHeader.trim()) env.push(["TIMESTAMP_HEADER", f.signingTimestampHeader.trim()]);
  }
  const vars = env.map(([k, v]) => `${k}=${k === "TOCSIN_SECRET" ? v : shellWord(v)}`);
  return `${vars.join(" ")} \\\n  node examples/receivers/typescript/receiver.ts`;
}

/**
 * What rotating the secret does under these settings. Mirrors the server's rule
 * (src/signing/schemes.ts, allowsSignatureList): the previous secret keeps signing for 24 hours
 * only where the header carries a list — Standard Webhooks (space-separated `v1,` entries) and
 * the `v1=` prefix (comma-separated); every other header carries one signature and switches at once.
 */
export function rotationEffect(signing: { scheme: string; header?: string; prefix?: string }): { overlap: boolean; text: string } {
  if (signing.scheme === "none") {
    return { overlap: false, text: "This webhook is unsigned: rotating replaces the stored secret, which signs again once signing is turned on." };
  }
  if (signing.scheme === "ed25519") {
    return {
      overlap: true,
      text: "A new key pair is made. For 24 hours every webhook carries two v1a signatures in webhook-signature: one with the new key and one with the current one. Give the receiver the new public key at any time in those 24 hours.",
    };
  }
  if (signing.scheme === "standard") {
    return {
      overlap: true,
      text: "For 24 hours every webhook carries two signatures in webhook-signature (space-separated v1, entries): one with the new secret and one with the current one. The receiver can switch to the new secret at any time in those 24 hours.",
    };
  }
  const header = signing.header ?? "the signature header";
  if (signing.prefix === "v1=") {
    return {
      overlap: true,
      text: `For 24 hours every webhook carries two signatures in ${header} (v1=…,v1=…): one with the new secret and one with the current one. The receiver can switch to the new secret at any time in those 24 hours.`,
    };
  }
  return {
    overlap: false,
    text: `${header} carries a single signature, so the new secret signs every webhook from the moment you rotate. Give the receiver the new secret right away: webhooks it refuses meanwhile are retried on the usual schedule.`,
  };
}
