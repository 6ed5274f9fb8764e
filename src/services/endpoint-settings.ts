import { DEFAULT_CONNECT_MS, DEFAULT_REQUEST_MS, defaultSettings, isSeverity } from "../core/endpoint-settings.ts";
import { coerceError, invalid } from "../core/errors.ts";
import type { FilterDoc } from "../core/filter.ts";
import type { AuthSettings, EndpointCredentials, EndpointSettings, HttpMethod, Severity, SigningSettings } from "../core/types.ts";
import { isValidHmacSecret } from "../signing/schemes.ts";
import { isValidSecret } from "../signing/standard.ts";
import { MAX_TRANSFORM_LENGTH, compileTransform } from "../delivery/transform.ts";
import { checkMethod, intIn, obj, str } from "./endpoint-settings-fields.ts";
import { checkHeaders, checkOwnHeaderName, patchHeaders } from "./endpoint-settings-headers.ts";
import { type TokenUrlPolicy, checkOAuth2 } from "./endpoint-settings-oauth2.ts";
import { checkTls } from "./endpoint-settings-tls.ts";
import { type RetryLimits, checkRetry } from "./endpoint-settings-retry.ts";
import { type ProxyLimits, checkProxy } from "./endpoint-settings-proxy.ts";
import { checkTracing } from "./endpoint-settings-tracing.ts";
import { checkFilterSetting } from "./endpoint-settings-filter.ts";
import { checkFlapping } from "./endpoint-settings-flapping.ts";
import { checkDigest } from "./endpoint-settings-digest.ts";
import { mergePatch } from "./merge-patch.ts";

export { MAX_HEADERS } from "./endpoint-settings-headers.ts";
export { certificateWarnings } from "./endpoint-settings-tls.ts";

/**
 * Turns what a client sent (a full document on create, a JSON merge patch on update) into
 * validated endpoint settings and credentials. Secrets that a patch leaves out are kept; every
 * error is a 400 naming the field.
 */

const MIN_TIMEOUT_MS = 100;

/** The editable view of an endpoint's settings: settings with their secrets, as a client would send them. */
export interface SettingsView {
  method: HttpMethod;
  headers: Record<string, string>;
  auth: { type: string; username?: string; password?: string; token?: string; clientSecret?: string; [oauth2: string]: unknown };
  tls: { clientCert: string | null; clientKey?: string; ca: string | null; skipVerify: boolean };
  timeouts: { connectMs: number; requestMs: number };
  signing: Record<string, unknown>;
  validation: { mode: string; method: string };
  format: { envelope: string; transform: string | null };
  lifecycle: { ongoingIntervalSec: number; sendResolved: boolean };
  batch: { maxEvents: number; maxWaitMs: number } | null;
  rateLimit: { perSecond: number; burst: number } | null;
  retry: { scheduleMs: number[] | null; maxAttempts: number | null; maxAgeMs: number | null } | null;
  proxy: string | null;
  tracing: { propagate: boolean };
  filter: FilterDoc | null;
  flapping: { transitions: number; windowMin: number; stableSec: number } | null;
  digest: { windowSec: number; maxEvents: number; groupBy: string } | null;
  minSeverity: Severity | null;
}

export type SettingsInput = { [K in keyof SettingsView]?: unknown };

export interface ResolvedSettings {
  settings: EndpointSettings;
  credentials: EndpointCredentials;
  minSeverity: Severity | null;
}

export interface TimeoutLimits extends RetryLimits, TokenUrlPolicy, ProxyLimits {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export function initialView(limits: TimeoutLimits): SettingsView {
  return toView(defaultSettings(Math.min(DEFAULT_CONNECT_MS, limits.connectTimeoutMs), Math.min(DEFAULT_REQUEST_MS, limits.requestTimeoutMs)), {}, null);
}

export function toView(s: EndpointSettings, c: EndpointCredentials, minSeverity: Severity | null): SettingsView {
  return {
    method: s.method,
    headers: { ...s.headers },
    auth: {
      ...s.auth,
      ...(c.password !== undefined ? { password: c.password } : {}),
      ...(c.token !== undefined ? { token: c.token } : {}),
      ...(c.clientSecret !== undefined ? { clientSecret: c.clientSecret } : {}),
    },
    tls: { ...s.tls, ...(c.clientKey !== undefined ? { clientKey: c.clientKey } : {}) },
    timeouts: { ...s.timeouts },
    signing: { ...s.signing },
    validation: { ...s.validation },
    format: { ...s.format },
    lifecycle: { ...s.lifecycle },
    batch: s.batch === null ? null : { ...s.batch },
    rateLimit: s.rateLimit === null ? null : { ...s.rateLimit },
    retry: s.retry === null ? null : { ...s.retry, scheduleMs: s.retry.scheduleMs === null ? null : [...s.retry.scheduleMs] },
    proxy: s.proxy ?? null,
    tracing: { ...s.tracing },
    filter: s.filter,
    flapping: s.flapping === null ? null : { ...s.flapping },
    digest: s.digest === null ? null : { ...s.digest },
    minSeverity,
  };
}

/** Applies `input` to `base` field by field (RFC 7396 within each object; null clears) and validates the result. */
export function resolveSettings(base: SettingsView, input: SettingsInput, limits: TimeoutLimits): ResolvedSettings {
  const merged: Record<string, unknown> = { ...base };
  for (const key of Object.keys(base) as (keyof SettingsView)[]) {
    if (!(key in input) || input[key] === undefined) continue;
    const v = input[key];
    if (key === "minSeverity" || key === "method" || key === "filter") merged[key] = v;
    else if (key === "headers" && v !== null && typeof v === "object" && !Array.isArray(v))
      merged[key] = patchHeaders(base.headers, v as Record<string, unknown>);
    else merged[key] = v === null ? null : mergePatch(base[key] ?? {}, v);
  }
  refuseStraySigningFields(input.signing, merged.signing);
  const credentials: EndpointCredentials = {};
  const auth = checkAuth(merged.auth, credentials, base.auth, input.auth, limits);
  const signing = checkSigning(merged.signing);
  const settings: EndpointSettings = {
    method: checkMethod(merged.method ?? "POST", "/method", ["POST", "PUT"]) as HttpMethod,
    headers: checkHeaders(merged.headers, auth, signing),
    auth,
    tls: checkTls(merged.tls, credentials),
    timeouts: checkTimeouts(merged.timeouts, limits),
    signing,
    validation: checkValidation(merged.validation),
    format: checkFormat(merged.format),
    lifecycle: checkLifecycle(merged.lifecycle),
    batch: checkBatch(merged.batch),
    rateLimit: checkRateLimit(merged.rateLimit),
    retry: checkRetry(merged.retry, limits),
    proxy: checkProxy(merged.proxy, input.proxy !== undefined, base.proxy, limits),
    tracing: checkTracing(merged.tracing),
    filter: checkFilterSetting(merged.filter),
    flapping: checkFlapping(merged.flapping),
    digest: checkDigest(merged.digest),
  };
  if (settings.batch !== null && settings.format.envelope !== "array" && settings.format.envelope !== "ndjson") {
    throw invalid("/batch", "needs format.envelope array or ndjson, the bodies that can hold several events");
  }
  const minSeverity = merged.minSeverity ?? null;
  if (minSeverity !== null && !isSeverity(minSeverity)) throw invalid("/minSeverity", "must be one of info, low, medium, high, critical, or null");
  return { settings, credentials, minSeverity };
}

/** What moving an endpoint to another origin can clear, in the order the PATCH answer lists it. */
export type ClearedSetting = "auth" | "tls.clientCert" | "tls.clientKey" | "headers";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The base a PATCH applies to when it moves the endpoint to another origin (scheme, host or port).
 * Credentials were given for the old destination, so none of them follows the URL unless the same
 * request gives it again:
 * - auth: without an `auth` member it goes back to none; with one, the member merges onto the
 *   stored type and username, never the stored password or token, so it must carry them again.
 * - tls.clientCert and tls.clientKey: cleared unless `tls` names a new clientKey (the stored
 *   certificate then stays if it matches) or the clientCert.
 * - headers, which often carry tokens: dropped unless the request has a `headers` member, which
 *   merges onto them as usual (`{}` keeps them all, null removes them).
 * tls.ca, tls.skipVerify and the signing secret are not credentials and stay.
 * `cleared` lists what was dropped that the request did not set again.
 */
export function baseForNewOrigin(base: SettingsView, input: SettingsInput): { base: SettingsView; cleared: ClearedSetting[] } {
  const cleared: ClearedSetting[] = [];
  const next: SettingsView = { ...base };
  if (base.auth.type !== "none") {
    const { password: _password, token: _token, clientSecret: _clientSecret, ...rest } = base.auth;
    if (input.auth === undefined) cleared.push("auth");
    next.auth = input.auth === undefined ? { type: "none" } : rest;
  }
  if (base.tls.clientCert !== null) {
    const { clientKey: _key, ...rest } = base.tls;
    const t = input.tls;
    const setAgain = t === null || (isObject(t) && (t.clientCert !== undefined || (t.clientKey !== undefined && t.clientKey !== null)));
    if (!setAgain) cleared.push("tls.clientCert", "tls.clientKey");
    next.tls = setAgain ? rest : { ...rest, clientCert: null };
  }
  if (Object.keys(base.headers).length > 0 && input.headers === undefined) {
    cleared.push("headers");
    next.headers = {};
  }
  return { base: next, cleared };
}

export const ED25519_SECRET_REFUSED =
  "cannot be set under signing.scheme ed25519: Tocsin makes the endpoint's key pair and keeps the private key; POST …/secret/rotate makes a new one";

/** A signing secret the client supplied, checked against the scheme it will sign under. */
export function checkSecretForScheme(secret: string, signing: SigningSettings, path = "/secret"): string {
  if (signing.scheme === "ed25519") throw invalid(path, ED25519_SECRET_REFUSED);
  if (signing.scheme === "standard") {
    if (!isValidSecret(secret)) throw invalid(path, "must be whsec_ followed by base64 of 24 to 64 bytes for signing.scheme standard");
  } else if (!isValidHmacSecret(secret) && !isValidSecret(secret)) {
    throw invalid(path, "must be 16 to 256 printable ASCII characters without spaces");
  }
  return secret;
}

/** hmac-sha256's fields sent with another scheme would be silently dropped: refuse them instead. */
function refuseStraySigningFields(input: unknown, merged: unknown): void {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return;
  const scheme = (merged as { scheme?: unknown } | null)?.scheme ?? "standard";
  if (scheme === "hmac-sha256") return;
  for (const f of ["header", "encoding", "prefix", "timestampHeader"]) {
    const v = (input as Record<string, unknown>)[f];
    if (v !== undefined && v !== null) throw invalid(`/signing/${f}`, `applies only to signing.scheme hmac-sha256 (the scheme is ${String(scheme)})`);
  }
}

function checkAuth(v: unknown, credentials: EndpointCredentials, before: SettingsView["auth"], given: unknown, policy: TokenUrlPolicy): AuthSettings {
  const a = obj(v, "/auth");
  const type = a.type ?? "none";
  if (type === "none") return { type: "none" };
  if (type === "basic") {
    const username = str(a.username, "/auth/username", { max: 256, pattern: /^[^:\r\n\0]*$/, what: "must not contain a colon, CR, LF or NUL" });
    if (a.password === undefined) throw invalid("/auth/password", "is required for basic auth");
    credentials.password = str(a.password, "/auth/password", { max: 1024, pattern: /^[^\r\n\0]*$/, what: "must not contain CR, LF or NUL" });
    return { type: "basic", username };
  }
  if (type === "bearer") {
    if (a.token === undefined) throw invalid("/auth/token", "is required for bearer auth");
    credentials.token = str(a.token, "/auth/token", { min: 1, max: 4096, pattern: /^[\x21-\x7e]+$/, what: "must be printable ASCII without spaces" });
    return { type: "bearer" };
  }
  if (type === "oauth2") return checkOAuth2(a, credentials, before, given, policy);
  throw invalid("/auth/type", "must be none, basic, bearer or oauth2");
}

function checkSigning(v: unknown): SigningSettings {
  const s = obj(v, "/signing");
  const scheme = s.scheme ?? "standard";
  if (scheme === "standard" || scheme === "ed25519" || scheme === "none") return { scheme };
  if (scheme !== "hmac-sha256") throw invalid("/signing/scheme", "must be standard, hmac-sha256, ed25519 or none");
  if (s.header === undefined) throw invalid("/signing/header", "is required for hmac-sha256 (e.g. x-hub-signature-256)");
  const header = checkOwnHeaderName(s.header, "/signing/header");
  const encoding = s.encoding ?? "hex";
  if (encoding !== "hex" && encoding !== "base64") throw invalid("/signing/encoding", "must be hex or base64");
  const prefix =
    s.prefix === undefined ? "" : str(s.prefix, "/signing/prefix", { max: 64, pattern: /^[\x21-\x7e]*$/, what: "must be printable ASCII without spaces" });
  let timestampHeader: string | null = null;
  if (s.timestampHeader !== undefined && s.timestampHeader !== null) {
    timestampHeader = checkOwnHeaderName(s.timestampHeader, "/signing/timestampHeader");
    if (timestampHeader.toLowerCase() === header.toLowerCase()) throw invalid("/signing/timestampHeader", "must differ from signing.header");
  }
  return { scheme, header, encoding, prefix, timestampHeader };
}

function checkTimeouts(v: unknown, limits: TimeoutLimits): EndpointSettings["timeouts"] {
  const t = obj(v, "/timeouts");
  const one = (x: unknown, name: string, max: number, dflt: number) => {
    if (x === undefined) return Math.min(dflt, max);
    if (typeof x !== "number" || !Number.isInteger(x) || x < MIN_TIMEOUT_MS || x > max) {
      throw invalid(`/timeouts/${name}`, `must be an integer from ${MIN_TIMEOUT_MS} to ${max} (the server's limit)`);
    }
    return x;
  };
  return {
    connectMs: one(t.connectMs, "connectMs", limits.connectTimeoutMs, DEFAULT_CONNECT_MS),
    requestMs: one(t.requestMs, "requestMs", limits.requestTimeoutMs, DEFAULT_REQUEST_MS),
  };
}

function checkFormat(v: unknown): EndpointSettings["format"] {
  const f = obj(v, "/format");
  const envelope = f.envelope ?? "raw";
  if (envelope !== "raw" && envelope !== "standard" && envelope !== "array" && envelope !== "ndjson") {
    throw invalid("/format/envelope", "must be raw, standard, array or ndjson");
  }
  let transform: string | null = null;
  if (f.transform !== undefined && f.transform !== null) {
    transform = str(f.transform, "/format/transform", { min: 1, max: MAX_TRANSFORM_LENGTH });
    try {
      compileTransform(transform);
    } catch (e) {
      throw invalid("/format/transform", `is not a valid JSONata expression: ${coerceError(e).message}`);
    }
  }
  return { envelope, transform };
}

export const MAX_BATCH_EVENTS = 1000;
export const MAX_BATCH_WAIT_MS = 300_000;
const MAX_ONGOING_INTERVAL_SEC = 7 * 86_400;

function checkLifecycle(v: unknown): EndpointSettings["lifecycle"] {
  const l = obj(v, "/lifecycle");
  const sendResolved = l.sendResolved ?? true;
  if (typeof sendResolved !== "boolean") throw invalid("/lifecycle/sendResolved", "must be true or false");
  return { ongoingIntervalSec: intIn(l.ongoingIntervalSec, "/lifecycle/ongoingIntervalSec", 0, MAX_ONGOING_INTERVAL_SEC, 300), sendResolved };
}

function checkBatch(v: unknown): EndpointSettings["batch"] {
  if (v === null || v === undefined) return null;
  const b = obj(v, "/batch");
  return {
    maxEvents: intIn(b.maxEvents, "/batch/maxEvents", 1, MAX_BATCH_EVENTS, 100),
    maxWaitMs: intIn(b.maxWaitMs, "/batch/maxWaitMs", 0, MAX_BATCH_WAIT_MS, 1000),
  };
}

export const MAX_RATE_PER_SECOND = 100_000;

function checkRateLimit(v: unknown): EndpointSettings["rateLimit"] {
  if (v === null || v === undefined) return null;
  const r = obj(v, "/rateLimit");
  const perSecond = r.perSecond;
  if (typeof perSecond !== "number" || !Number.isFinite(perSecond) || perSecond < 0.001 || perSecond > MAX_RATE_PER_SECOND) {
    throw invalid("/rateLimit/perSecond", `is required: requests a second, from 0.001 to ${MAX_RATE_PER_SECOND} (fractions allowed)`);
  }
  // By default a burst of one second's worth, and at least one request.
  const burst = intIn(r.burst, "/rateLimit/burst", 1, MAX_RATE_PER_SECOND, Math.max(1, Math.ceil(perSecond)));
  return { perSecond, burst };
}

function checkValidation(v: unknown): EndpointSettings["validation"] {
  const x = obj(v, "/validation");
  const mode = x.mode ?? "none";
  if (mode !== "none" && mode !== "token-path" && mode !== "challenge") throw invalid("/validation/mode", "must be none, token-path or challenge");
  const method = checkMethod(x.method ?? "POST", "/validation/method", ["POST", "PUT", "GET"]) as HttpMethod | "GET";
  return { mode, method };
}
