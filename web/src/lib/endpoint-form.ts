/**
 * The endpoint form's state (strings and booleans, as inputs hold them) and its mapping to and
 * from the API: an endpoint document fills the form; the form becomes a create body, or a JSON
 * merge patch holding only what changed. No React here, so it is unit-tested on its own.
 */
import type { Endpoint, EndpointCreate, EndpointPatch } from "@tocsin/client";
import { DEFAULTS, type EndpointForm, type FieldErrors, type FieldName, endpointToForm } from "./endpoint-form-state.ts";
import { headersPatch, originMove } from "./endpoint-form-origin.ts";
import { tryParseHeaderList } from "./headers.ts";
import { parseRetryFields } from "./endpoint-form-retry.ts";
import { parseDigestFields } from "./endpoint-form-digest.ts";

export {
  type AuthType,
  DEFAULTS,
  type EndpointForm,
  type Envelope,
  type FieldErrors,
  type FieldName,
  SEVERITIES,
  type Severity,
  type SigningScheme,
  type ValidationMode,
  endpointToForm,
  newEndpointForm,
} from "./endpoint-form-state.ts";
export { type OriginMove, headersPatch, originMove, originOf } from "./endpoint-form-origin.ts";

/** `alert.*, leak` or one a line → ["alert.*", "leak"]. */
export function parseEventTypes(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

type Result<T> = { body: T; errors?: undefined } | { body?: undefined; errors: FieldErrors };

/** Reads the fields that need parsing; collects every local error at once. */
function parseFields(f: EndpointForm) {
  const errors: FieldErrors = {};
  const int = (field: FieldName, min: number, max: number): number | null => {
    const text = String(f[field]).trim();
    if (text === "") return null;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      errors[field] = `must be a whole number from ${min} to ${max}`;
      return null;
    }
    return n;
  };
  const num = (field: FieldName, min: number, max: number): number | null => {
    const text = String(f[field]).trim();
    if (text === "") return null;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) {
      errors[field] = `must be a number from ${min} to ${max}`;
      return null;
    }
    return n;
  };
  if (f.url.trim() === "") errors.url = "is required";
  else if (!/^https?:\/\//i.test(f.url.trim())) errors.url = "must start with http:// or https://";
  const parsed = tryParseHeaderList(f.headers);
  const headers = "headers" in parsed ? parsed.headers : {};
  if ("error" in parsed) errors.headers = parsed.error;
  if (f.authType === "basic" && f.username.includes(":")) errors.username = "must not contain a colon";
  if (f.authType === "oauth2") oauth2Errors(f, errors);
  if (f.signingScheme === "hmac-sha256" && f.signingHeader.trim() === "") errors.signingHeader = "is required for HMAC-SHA256 (e.g. X-Hub-Signature-256)";
  if (f.clientKey.trim() !== "" && f.clientCert.trim() === "") errors.clientCert = "is required with a client key";
  const values = {
    headers,
    connectMs: int("connectMs", 100, 3_600_000),
    requestMs: int("requestMs", 100, 3_600_000),
    ongoingIntervalSec: int("ongoingIntervalSec", 0, 604_800),
    batchMaxEvents: int("batchMaxEvents", 1, 1000),
    batchMaxWaitMs: int("batchMaxWaitMs", 0, 300_000),
    flapTransitions: int("flapTransitions", 1, 100),
    flapWindowMin: int("flapWindowMin", 1, 1440),
    flapStableSec: int("flapStableSec", 1, 86_400),
    ratePerSecond: num("ratePerSecond", 0.001, 100_000),
    rateBurst: int("rateBurst", 1, 100_000),
    retry: parseRetryFields(f, errors),
    filter: parseFilterField(f, errors),
    digest: parseDigestFields(f, errors),
  };
  if (f.rateLimiting && values.ratePerSecond === null && !errors.ratePerSecond) errors.ratePerSecond = "is required with a rate limit";
  if (f.batching && f.envelope !== "array" && f.envelope !== "ndjson") errors.batching = "needs the array or ndjson envelope";
  return { values, errors };
}

/** The Filter field: blank is none; otherwise a JSON object, which the server checks further. */
function parseFilterField(f: EndpointForm, errors: FieldErrors): Record<string, unknown> | null {
  const text = f.filter.trim();
  if (text === "") return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    errors.filter = `must be JSON: ${e instanceof Error ? e.message : String(e)}`;
    return null;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    errors.filter = 'must be a JSON object of conditions, e.g. {"payload.severity": {"$in": ["high", "critical"]}}';
    return null;
  }
  return v as Record<string, unknown>;
}

const hasErrors = (e: FieldErrors) => Object.keys(e).length > 0;
const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

function signingOf(f: EndpointForm): NonNullable<EndpointCreate["signing"]> {
  if (f.signingScheme !== "hmac-sha256") return { scheme: f.signingScheme };
  return {
    scheme: "hmac-sha256",
    header: f.signingHeader.trim(),
    encoding: f.signingEncoding,
    prefix: f.signingPrefix.trim(),
    timestampHeader: orNull(f.signingTimestampHeader),
  };
}

/** OAuth2 client credentials as the form holds them (the secret is added where it was typed). */
function oauth2Of(f: EndpointForm) {
  return {
    type: "oauth2" as const,
    tokenUrl: f.oauthTokenUrl.trim(),
    clientId: f.oauthClientId.trim(),
    scopes: parseEventTypes(f.oauthScopes),
    audience: orNull(f.oauthAudience),
  };
}

function oauth2Errors(f: EndpointForm, errors: FieldErrors): void {
  if (!/^https?:\/\/\S+$/i.test(f.oauthTokenUrl.trim())) errors.oauthTokenUrl = "must start with http:// or https://";
  if (f.oauthClientId.trim() === "") errors.oauthClientId = "is required";
}

/** The body of `POST …/endpoints`: only what differs from the server's defaults. */
export function formToCreate(f: EndpointForm): Result<EndpointCreate> {
  const { values: v, errors } = parseFields(f);
  if (hasErrors(errors)) return { errors };
  const body: EndpointCreate = { url: f.url.trim(), eventTypes: parseEventTypes(f.eventTypes) };
  if (f.name.trim()) body.name = f.name.trim();
  if (f.description.trim()) body.description = f.description.trim();
  if (!f.enabled) body.enabled = false;
  if (f.secret.trim()) body.secret = f.secret.trim();
  if (f.minSeverity) body.minSeverity = f.minSeverity;
  if (f.method !== "POST") body.method = f.method;
  if (Object.keys(v.headers).length > 0) body.headers = v.headers;
  if (v.connectMs !== null || v.requestMs !== null) {
    body.timeouts = { ...(v.connectMs !== null ? { connectMs: v.connectMs } : {}), ...(v.requestMs !== null ? { requestMs: v.requestMs } : {}) };
  }
  if (f.authType === "basic") body.auth = { type: "basic", username: f.username, password: f.password };
  if (f.authType === "bearer") body.auth = { type: "bearer", token: f.token.trim() };
  if (f.authType === "oauth2") body.auth = { ...oauth2Of(f), clientSecret: f.oauthClientSecret };
  if (f.clientCert.trim() || f.clientKey.trim() || f.ca.trim() || f.skipVerify) {
    body.tls = {
      ...(f.clientCert.trim() ? { clientCert: f.clientCert.trim() } : {}),
      ...(f.clientKey.trim() ? { clientKey: f.clientKey.trim() } : {}),
      ...(f.ca.trim() ? { ca: f.ca.trim() } : {}),
      ...(f.skipVerify ? { skipVerify: true } : {}),
    };
  }
  if (f.signingScheme !== "standard") body.signing = signingOf(f);
  if (f.validationMode !== "none") body.validation = { mode: f.validationMode, method: f.validationMethod };
  if (f.envelope !== "raw" || f.transform.trim()) body.format = { envelope: f.envelope, ...(f.transform.trim() ? { transform: f.transform.trim() } : {}) };
  const interval = v.ongoingIntervalSec ?? DEFAULTS.ongoingIntervalSec;
  if (interval !== DEFAULTS.ongoingIntervalSec || !f.sendResolved) body.lifecycle = { ongoingIntervalSec: interval, sendResolved: f.sendResolved };
  if (f.batching) body.batch = { maxEvents: v.batchMaxEvents, maxWaitMs: v.batchMaxWaitMs };
  if (f.flapDamping) body.flapping = flappingOf(v);
  if (f.rateLimiting && v.ratePerSecond !== null) body.rateLimit = { perSecond: v.ratePerSecond, burst: v.rateBurst };
  if (v.retry !== null) body.retry = v.retry;
  // Only admin keys see the Proxy select; the others never send `proxy`.
  if (f.proxy !== "") body.proxy = f.proxy;
  if (f.fallbackEndpointId !== "") body.fallbackEndpointId = f.fallbackEndpointId;
  if (v.filter !== null) body.filter = v.filter;
  if (f.propagateTrace) body.tracing = { propagate: true };
  if (v.digest !== null) body.digest = v.digest;
  return { body };
}

/**
 * A merge patch of `ep` holding only what the form changed. Write-only secrets (password, token,
 * client key, signing secret) are sent only when typed in; removed headers become null. When the
 * URL moves to another origin, a stored password, token or client key must be typed again, and
 * the stored headers stay only with `keepHeaders` (or when edited).
 */
export function formToPatch(ep: Endpoint, f: EndpointForm): Result<EndpointPatch> {
  const { values: v, errors } = parseFields(f);
  const move = originMove(ep, f);
  const again = "the stored one is not sent to another origin";
  if (move?.authAgain === "password") errors.password = `enter it again: ${again} (or choose None)`;
  if (move?.authAgain === "token") errors.token = `enter it again: ${again} (or choose None)`;
  if (move?.authAgain === "client secret") errors.oauthClientSecret = `enter it again: ${again} (or choose None)`;
  if (f.authType === "oauth2" && ep.auth.type === "oauth2" && f.oauthTokenUrl.trim() !== ep.auth.tokenUrl && f.oauthClientSecret === "") {
    errors.oauthClientSecret = "enter it again: the stored one is not sent to another token URL";
  }
  if (move?.clientKeyAgain) errors.clientKey = `enter it again: ${again} (or clear the certificate)`;
  if (hasErrors(errors)) return { errors };
  const o = endpointToForm(ep);
  const body: EndpointPatch = {};
  const changed = (...fields: FieldName[]) => fields.some((k) => f[k] !== o[k]);

  if (f.url.trim() !== ep.url) body.url = f.url.trim();
  if (changed("name")) body.name = orNull(f.name);
  if (changed("description")) body.description = orNull(f.description);
  const types = parseEventTypes(f.eventTypes);
  if (types.join("\n") !== ep.eventTypes.join("\n")) body.eventTypes = types;
  if (f.minSeverity !== o.minSeverity) body.minSeverity = f.minSeverity || null;
  if (f.enabled !== ep.enabled) body.enabled = f.enabled;
  if (f.method !== ep.method) body.method = f.method;
  if (f.secret.trim()) body.secret = f.secret.trim();

  const headers = headersPatch(ep.headers, v.headers);
  if (headers) body.headers = headers;
  // An empty headers member keeps them all on a move to another origin.
  else if (move?.headersAsk && f.keepHeaders) body.headers = {};
  if (changed("connectMs", "requestMs")) {
    body.timeouts = {};
    if (changed("connectMs")) body.timeouts.connectMs = v.connectMs;
    if (changed("requestMs")) body.timeouts.requestMs = v.requestMs;
  }

  if (f.authType === "none") {
    if (ep.auth.type !== "none") body.auth = null;
  } else if (f.authType === "basic") {
    if (changed("authType", "username") || f.password !== "") {
      body.auth = { type: "basic", username: f.username, ...(f.password !== "" ? { password: f.password } : {}) };
    }
  } else if (f.authType === "oauth2") {
    if (changed("authType", "oauthTokenUrl", "oauthClientId", "oauthScopes", "oauthAudience") || f.oauthClientSecret !== "") {
      body.auth = { ...oauth2Of(f), ...(f.oauthClientSecret !== "" ? { clientSecret: f.oauthClientSecret } : {}) };
    }
  } else if (changed("authType") || f.token.trim() !== "") {
    body.auth = { type: "bearer", ...(f.token.trim() !== "" ? { token: f.token.trim() } : {}) };
  }

  const tls: NonNullable<EndpointPatch["tls"]> = {};
  if (f.clientCert.trim() !== o.clientCert.trim()) {
    tls.clientCert = orNull(f.clientCert);
    // Removing the certificate removes its key too; a new certificate needs its key.
    if (tls.clientCert === null) tls.clientKey = null;
  }
  if (f.clientKey.trim() !== "") tls.clientKey = f.clientKey.trim();
  if (f.ca.trim() !== o.ca.trim()) tls.ca = orNull(f.ca);
  if (f.skipVerify !== o.skipVerify) tls.skipVerify = f.skipVerify;
  if (Object.keys(tls).length > 0) body.tls = tls;

  if (changed("signingScheme", "signingHeader", "signingEncoding", "signingPrefix", "signingTimestampHeader")) body.signing = signingOf(f);
  if (changed("validationMode", "validationMethod")) body.validation = { mode: f.validationMode, method: f.validationMethod };
  if (changed("envelope", "transform")) body.format = { envelope: f.envelope, transform: orNull(f.transform) };
  if (changed("ongoingIntervalSec", "sendResolved")) body.lifecycle = { ongoingIntervalSec: v.ongoingIntervalSec, sendResolved: f.sendResolved };
  if (!f.batching) {
    if (ep.batch !== null) body.batch = null;
  } else if (changed("batching", "batchMaxEvents", "batchMaxWaitMs")) {
    body.batch = { maxEvents: v.batchMaxEvents, maxWaitMs: v.batchMaxWaitMs };
  }
  if (!f.flapDamping) {
    if (ep.flapping !== null) body.flapping = null;
  } else if (changed("flapDamping", "flapTransitions", "flapWindowMin", "flapStableSec")) {
    body.flapping = flappingOf(v);
  }
  if (!f.rateLimiting) {
    if (ep.rateLimit !== null) body.rateLimit = null;
  } else if (changed("rateLimiting", "ratePerSecond", "rateBurst")) {
    body.rateLimit = { perSecond: v.ratePerSecond ?? undefined, burst: v.rateBurst };
  }
  // The whole document: members left blank go back to the server's (null).
  if (changed("retrySchedule", "retryMaxAttempts", "retryMaxAge")) body.retry = v.retry;
  if (changed("proxy")) body.proxy = f.proxy || null;
  if (changed("fallbackEndpointId")) body.fallbackEndpointId = f.fallbackEndpointId || null;
  // A filter is replaced whole; blank removes it.
  if (JSON.stringify(v.filter) !== JSON.stringify(ep.filter ?? null)) body.filter = v.filter;
  if (changed("propagateTrace")) body.tracing = { propagate: f.propagateTrace };
  // The whole document (a blank member goes back to its default); off is null.
  if (changed("digesting", "digestWindow", "digestMaxEvents", "digestGroupBy")) body.digest = v.digest;
  return { body };
}

/** `flapping` from the form: the members given, blank ones null (the server's defaults). */
function flappingOf(v: { flapTransitions: number | null; flapWindowMin: number | null; flapStableSec: number | null }) {
  return { transitions: v.flapTransitions, windowMin: v.flapWindowMin, stableSec: v.flapStableSec };
}
