import type { Signing } from "@tocsin/verify";

/**
 * The signing flags `tocsin listen` and `tocsin verify` share. They mirror the endpoint's
 * `signing` object, so a receiver is described the way its endpoint is.
 */

export const SIGNING_FLAGS_HELP = `Signing (as the endpoint's "signing" object):
  --secret SECRET             The endpoint's signing secret (repeatable: any may match); a whpk_
                              public key checks the v1a (ed25519) signatures of the standard header
  --public-key KEY            The endpoint's whpk_ public key, for ed25519 (repeatable)
  --scheme SCHEME             standard (Standard Webhooks; default), hmac-sha256, ed25519 or none
  --signature-header NAME     hmac-sha256: the header carrying the signature (required)
  --encoding hex|base64       hmac-sha256: how the digest is written (default hex)
  --prefix TEXT               hmac-sha256: text before the digest, e.g. sha256= (default none)
  --timestamp-header NAME     hmac-sha256: the header with the signed unix seconds, if any
  --tolerance-sec N           Largest accepted age of the signed timestamp (default 300; 0: no check)`;

export const SIGNING_FLAG_OPTIONS = {
  secret: { type: "string", multiple: true },
  "public-key": { type: "string", multiple: true },
  scheme: { type: "string" },
  "signature-header": { type: "string" },
  encoding: { type: "string" },
  prefix: { type: "string" },
  "timestamp-header": { type: "string" },
  "tolerance-sec": { type: "string" },
} as const;

export interface SigningFlagValues {
  secret?: string[];
  "public-key"?: string[];
  scheme?: string;
  "signature-header"?: string;
  encoding?: string;
  prefix?: string;
  "timestamp-header"?: string;
  "tolerance-sec"?: string;
}

export interface SigningChoice {
  signing: Signing;
  secrets: string[];
  toleranceSec: number;
  /** Whether any signing flag was given (listen registers an endpoint with these settings then). */
  explicit: boolean;
}

const HMAC_ONLY = ["signature-header", "encoding", "prefix", "timestamp-header"] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/** Reads the signing flags; `usage` builds the error thrown for a wrong flag (exit 2). */
export function parseSigningFlags(v: SigningFlagValues, usage: (message: string) => Error): SigningChoice {
  const scheme = v.scheme ?? "standard";
  if (scheme !== "standard" && scheme !== "hmac-sha256" && scheme !== "ed25519" && scheme !== "none")
    throw usage(`--scheme must be standard, hmac-sha256, ed25519 or none, not ${JSON.stringify(scheme)}`);
  const toleranceSec = v["tolerance-sec"] === undefined ? 300 : Number(v["tolerance-sec"]);
  if (!/^\d{1,9}$/.test(v["tolerance-sec"] ?? "0")) throw usage(`--tolerance-sec must be whole seconds, 0 or more, not ${JSON.stringify(v["tolerance-sec"])}`);
  const publicKeys = v["public-key"] ?? [];
  if (publicKeys.some((k) => !/^whpk_[A-Za-z0-9+/]{43}=$/.test(k))) throw usage("--public-key must be whpk_ followed by base64 of 32 bytes");
  if (publicKeys.length > 0 && scheme !== "standard" && scheme !== "ed25519")
    throw usage(`--public-key applies to --scheme ed25519 or standard (the scheme is ${scheme})`);
  const secrets = [...(v.secret ?? []), ...publicKeys];
  if (secrets.some((s) => s.length === 0)) throw usage("--secret must not be empty");
  if (scheme === "ed25519" && secrets.some((s) => !s.startsWith("whpk_")))
    throw usage("--scheme ed25519 verifies with the endpoint's public key: give --public-key whpk_… (tocsin endpoint secret prints it)");
  const explicit = HMAC_ONLY.some((f) => v[f] !== undefined) || v.scheme !== undefined;
  if (scheme !== "hmac-sha256") {
    const stray = HMAC_ONLY.find((f) => v[f] !== undefined);
    if (stray) throw usage(`--${stray} applies to --scheme hmac-sha256 only (the scheme is ${scheme})`);
    return { signing: { scheme }, secrets, toleranceSec, explicit };
  }
  const header = v["signature-header"];
  if (header === undefined) throw usage("--scheme hmac-sha256 needs --signature-header NAME (e.g. x-hub-signature-256)");
  if (!HEADER_NAME.test(header)) throw usage(`--signature-header ${JSON.stringify(header)} is not a header name`);
  const encoding = v.encoding ?? "hex";
  if (encoding !== "hex" && encoding !== "base64") throw usage(`--encoding must be hex or base64, not ${JSON.stringify(encoding)}`);
  const timestampHeader = v["timestamp-header"] || null;
  if (timestampHeader !== null && !HEADER_NAME.test(timestampHeader)) throw usage(`--timestamp-header ${JSON.stringify(timestampHeader)} is not a header name`);
  return { signing: { scheme, header, encoding, prefix: v.prefix ?? "", timestampHeader }, secrets, toleranceSec, explicit };
}

/** One line describing the signing settings, for people. */
export function describeSigning(s: Signing): string {
  if (s.scheme === "ed25519") return "ed25519 (Standard Webhooks v1a, verified with the public key)";
  if (s.scheme !== "hmac-sha256") return s.scheme === "standard" ? "standard (Standard Webhooks)" : "none (unsigned)";
  const ts = s.timestampHeader ? `, timestamp in ${s.timestampHeader}` : "";
  return `hmac-sha256 in ${s.header} (${s.encoding ?? "hex"}${s.prefix ? `, prefix ${s.prefix}` : ""}${ts})`;
}
