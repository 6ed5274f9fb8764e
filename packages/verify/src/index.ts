import { type KeyObject, createHmac, createPublicKey, timingSafeEqual, verify } from "node:crypto";

/**
 * Verification of the webhooks Tocsin sends, for the receiving side. One function,
 * `verifyWebhook`, checks a request against the endpoint's `signing` object and its secret, for
 * every scheme Tocsin signs with: a `whsec_` secret checks Standard Webhooks `v1` (HMAC) signatures,
 * a `whpk_` public key checks `v1a` (ed25519) ones. It never throws on what the request carries: a bad request is a
 * result with a reason. It throws a TypeError only when the options themselves are wrong.
 */

/** The endpoint's `signing` object, as the Tocsin API shows it. */
export type Signing =
  | { scheme: "standard" }
  /** Standard Webhooks asymmetric signatures (v1a), checked with the endpoint's `whpk_` public key. */
  | { scheme: "ed25519" }
  | {
      scheme: "hmac-sha256";
      /** The header that carries the signature, e.g. `x-hub-signature-256`. */
      header: string;
      /** How the digest is written (default hex). */
      encoding?: "hex" | "base64";
      /** Text before each digest, e.g. `sha256=` (default none). */
      prefix?: string;
      /** When set, the header carrying the unix seconds that were signed as `<seconds>:<body>`. */
      timestampHeader?: string | null;
    }
  | { scheme: "none" };

/** Request headers: a plain object (Node's `req.headers`, any case), a Fetch `Headers`, or pairs. */
export type HeadersLike = Record<string, string | readonly string[] | undefined> | { get(name: string): string | null } | Iterable<readonly [string, string]>;

export interface VerifyWebhookOptions {
  /**
   * The endpoint's signing secret, or under ed25519 its public key (`whpk_…`); several during a
   * rotation on the receiving side (any may match). Under the standard header a `whpk_` key checks
   * the v1a signatures only, a secret the v1 ones only.
   */
  secret: string | readonly string[];
  /** The endpoint's `signing` object (default `{ scheme: "standard" }`). */
  signing?: Signing;
  headers: HeadersLike;
  /** The raw body bytes exactly as received: not parsed and serialized again. */
  body: string | Uint8Array;
  /** Largest accepted distance between the signed timestamp and now, in seconds (default 300; 0: no check). */
  toleranceSec?: number;
  /** The current time, for tests (default: the clock). */
  now?: Date | number;
}

export type VerifyFailureReason = "missing_header" | "bad_timestamp" | "timestamp_out_of_tolerance" | "bad_signature" | "not_signed";

export type VerifyResult =
  | {
      ok: true;
      /** `webhook-id` under the standard scheme (the same on every retry: deduplicate by it); else null. */
      id: string | null;
      /** The signed unix seconds, when the scheme signs a timestamp; else null. */
      timestamp: number | null;
      /** Which of the given secrets (or public keys) matched (0 for a single one). */
      secretIndex: number;
    }
  | {
      ok: false;
      reason: VerifyFailureReason;
      /** A sentence for logs and people, naming the header or the numbers at fault. */
      message: string;
    };

const DEFAULT_TOLERANCE_SEC = 300;
const STANDARD_PREFIX = "whsec_";
const PUBLIC_KEY_PREFIX = "whpk_";
// The DER (SPKI) prefix of an ed25519 public key; the 32 raw bytes follow.
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

/** Verifies one webhook request. Constant-time in the signature bytes; any one signature of a list may match. */
export function verifyWebhook(options: VerifyWebhookOptions): VerifyResult {
  const signing = options.signing ?? { scheme: "standard" };
  const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new TypeError("verifyWebhook: secret must be a non-empty string or a list of them");
  }
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError("verifyWebhook: toleranceSec must be a number of seconds, 0 or more");
  }
  const nowSec = Math.floor((options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : options.now.getTime()) / 1000);
  const get = headerReader(options.headers);
  const body = typeof options.body === "string" ? Buffer.from(options.body, "utf8") : options.body;

  switch (signing.scheme) {
    case "standard":
      return verifyStandard(secrets.map(standardVerifier), get, body, tolerance, nowSec);
    case "ed25519":
      return verifyStandard(
        secrets.map((s) => {
          const v = standardVerifier(s);
          if (v.kind !== "v1a") throw new TypeError("verifyWebhook: signing.scheme ed25519 verifies with the endpoint's public key (whpk_…), not a secret");
          return v;
        }),
        get,
        body,
        tolerance,
        nowSec,
      );
    case "hmac-sha256":
      return verifyHmac(signing, secrets, get, body, tolerance, nowSec);
    case "none":
      return fail("not_signed", "signing.scheme is none: the sender does not sign, so there is nothing to verify");
    default:
      throw new TypeError(`verifyWebhook: unknown signing.scheme ${JSON.stringify((signing as { scheme: unknown }).scheme)}`);
  }
}

/** How one given secret or key checks a Standard Webhooks header: v1 (HMAC) with a secret, v1a (ed25519) with a `whpk_` key. */
type StandardVerifier = { kind: "v1"; key: Buffer } | { kind: "v1a"; key: KeyObject };

function standardVerifier(secret: string): StandardVerifier {
  if (!secret.startsWith(PUBLIC_KEY_PREFIX)) return { kind: "v1", key: standardKey(secret) };
  const b64 = secret.slice(PUBLIC_KEY_PREFIX.length);
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, "base64") : Buffer.alloc(0);
  if (raw.length !== 32) throw new TypeError("verifyWebhook: a whpk_ public key must be whpk_ + base64 of 32 bytes");
  return { kind: "v1a", key: createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" }) };
}

function verifyStandard(
  verifiers: StandardVerifier[],
  get: (name: string) => string | undefined,
  body: Uint8Array,
  tolerance: number,
  nowSec: number,
): VerifyResult {
  const id = get("webhook-id");
  const ts = get("webhook-timestamp");
  const sig = get("webhook-signature");
  const missing = [!id && "webhook-id", !ts && "webhook-timestamp", !sig && "webhook-signature"].filter(Boolean);
  if (missing.length) return fail("missing_header", `missing header ${missing.join(", ")}`);
  const timestamp = checkTimestamp(ts!, "webhook-timestamp", tolerance, nowSec);
  if (typeof timestamp !== "number") return timestamp;
  const candidates = { v1: [] as Buffer[], v1a: [] as Buffer[] };
  for (const part of sig!.trim().split(/\s+/)) {
    const comma = part.indexOf(",");
    const version = comma > 0 ? part.slice(0, comma) : "";
    if (version === "v1" || version === "v1a") candidates[version].push(Buffer.from(part.slice(comma + 1), "base64"));
  }
  const wanted = [...new Set(verifiers.map((v) => v.kind))];
  if (wanted.every((k) => candidates[k].length === 0)) return fail("bad_signature", `webhook-signature holds no ${wanted.join(" or ")} signature`);
  let signed: Buffer | null = null;
  for (const [i, v] of verifiers.entries()) {
    if (v.kind === "v1") {
      const expected = createHmac("sha256", v.key).update(`${id}.${timestamp}.`).update(body).digest();
      if (anyEqual(candidates.v1, expected)) return { ok: true, id: id!, timestamp, secretIndex: i };
    } else {
      signed ??= Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), body]);
      for (const c of candidates.v1a) if (c.length === 64 && verify(null, signed, v.key, c)) return { ok: true, id: id!, timestamp, secretIndex: i };
    }
  }
  const what = wanted.length === 2 ? "secret or key" : wanted[0] === "v1a" ? "public key" : "secret";
  return fail(
    "bad_signature",
    `no signature in webhook-signature matches the ${plural(verifiers.length, what)} (wrong ${what}, or the body was changed: verify the raw bytes)`,
  );
}

function verifyHmac(
  signing: Extract<Signing, { scheme: "hmac-sha256" }>,
  secrets: string[],
  get: (name: string) => string | undefined,
  body: Uint8Array,
  tolerance: number,
  nowSec: number,
): VerifyResult {
  if (typeof signing.header !== "string" || signing.header.length === 0) throw new TypeError("verifyWebhook: signing.header is required for hmac-sha256");
  const encoding = signing.encoding ?? "hex";
  if (encoding !== "hex" && encoding !== "base64") throw new TypeError("verifyWebhook: signing.encoding must be hex or base64");
  const prefix = signing.prefix ?? "";
  const value = get(signing.header);
  const tsHeader = signing.timestampHeader || null;
  const ts = tsHeader ? get(tsHeader) : undefined;
  const missing = [!value && signing.header, tsHeader && !ts && tsHeader].filter(Boolean);
  if (missing.length) return fail("missing_header", `missing header ${missing.join(", ")}`);
  let timestamp: number | null = null;
  if (tsHeader) {
    const checked = checkTimestamp(ts!, tsHeader, tolerance, nowSec);
    if (typeof checked !== "number") return checked;
    timestamp = checked;
  }
  const candidates: Buffer[] = [];
  for (const raw of value!.split(/[\s,]+/)) {
    const part = raw.trim();
    if (!part.startsWith(prefix)) continue;
    const digest = part.slice(prefix.length);
    if (encoding === "hex" ? /^[0-9a-fA-F]{64}$/.test(digest) : /^[A-Za-z0-9+/]{43}=$/.test(digest)) candidates.push(Buffer.from(digest, encoding));
  }
  if (candidates.length === 0) {
    return fail("bad_signature", `${signing.header} holds no ${encoding} SHA-256 digest${prefix ? ` after the prefix ${JSON.stringify(prefix)}` : ""}`);
  }
  for (const [i, secret] of secrets.entries()) {
    const h = createHmac("sha256", Buffer.from(secret, "utf8"));
    if (timestamp !== null) h.update(`${timestamp}:`);
    if (anyEqual(candidates, h.update(body).digest())) return { ok: true, id: null, timestamp, secretIndex: i };
  }
  return fail(
    "bad_signature",
    `the signature in ${signing.header} does not match the ${plural(secrets.length, "secret")} (wrong secret, or the body was changed: verify the raw bytes)`,
  );
}

function checkTimestamp(raw: string, header: string, tolerance: number, nowSec: number): number | VerifyResult {
  if (!/^\d{1,12}$/.test(raw)) return fail("bad_timestamp", `${header} must be unix seconds, got ${JSON.stringify(raw.slice(0, 40))}`);
  const ts = Number(raw);
  const skew = nowSec - ts;
  if (tolerance > 0 && Math.abs(skew) > tolerance) {
    const when = skew > 0 ? `${skew} s in the past` : `${-skew} s in the future`;
    return fail("timestamp_out_of_tolerance", `${header} ${ts} is ${when}, more than the tolerance of ${tolerance} s (a replayed request, or a clock off)`);
  }
  return ts;
}

/** The Standard Webhooks key: the base64 bytes after `whsec_` (or the whole secret, when it has no prefix). */
function standardKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(STANDARD_PREFIX) ? secret.slice(STANDARD_PREFIX.length) : secret, "base64");
}

/** Compares every candidate in constant time (no early exit on the first match's position). */
function anyEqual(candidates: readonly Buffer[], expected: Buffer): boolean {
  let found = false;
  for (const c of candidates) {
    if (c.length === expected.length && timingSafeEqual(c, expected)) found = true;
  }
  return found;
}

/** Case-insensitive header lookup; a header given several times reads as its values joined by a space. */
function headerReader(headers: HeadersLike): (name: string) => string | undefined {
  if (headers === null || typeof headers !== "object") throw new TypeError("verifyWebhook: headers must be an object, a Headers or [name, value] pairs");
  if (typeof (headers as { get?: unknown }).get === "function" && !(headers instanceof Map)) {
    const h = headers as { get(name: string): string | null };
    return (name) => h.get(name) ?? undefined;
  }
  const lower = new Map<string, string>();
  const add = (k: string, v: string | readonly string[] | undefined) => {
    if (v === undefined) return;
    const key = k.toLowerCase();
    const value = typeof v === "string" ? v : v.join(" ");
    const prev = lower.get(key);
    lower.set(key, prev === undefined ? value : `${prev} ${value}`);
  };
  if (Symbol.iterator in headers) {
    for (const [k, v] of headers as Iterable<readonly [string, string]>) add(k, v);
  } else {
    for (const [k, v] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) add(k, v);
  }
  return (name) => lower.get(name.toLowerCase());
}

function fail(reason: VerifyFailureReason, message: string): VerifyResult {
  return { ok: false, reason, message };
}

function plural(n: number, word: string): string {
  return n === 1 ? `given ${word}` : `${n} given ${word}s`;
}
