/**
 * The API's problem documents as inline form errors: each `errors[].path` (a JSON Pointer into
 * the endpoint body) names the form field it belongs to.
 */
import type { FieldErrors, FieldName } from "./endpoint-form.ts";

const PATHS: Record<string, FieldName> = {
  "/url": "url",
  "/name": "name",
  "/description": "description",
  "/eventTypes": "eventTypes",
  "/minSeverity": "minSeverity",
  "/enabled": "enabled",
  "/method": "method",
  "/headers": "headers",
  "/timeouts": "connectMs",
  "/timeouts/connectMs": "connectMs",
  "/timeouts/requestMs": "requestMs",
  "/auth": "authType",
  "/auth/type": "authType",
  "/auth/username": "username",
  "/auth/password": "password",
  "/auth/token": "token",
  "/auth/tokenUrl": "oauthTokenUrl",
  "/auth/clientId": "oauthClientId",
  "/auth/clientSecret": "oauthClientSecret",
  "/auth/scopes": "oauthScopes",
  "/auth/audience": "oauthAudience",
  "/tls": "clientCert",
  "/tls/clientCert": "clientCert",
  "/tls/clientKey": "clientKey",
  "/tls/ca": "ca",
  "/tls/skipVerify": "skipVerify",
  "/format": "envelope",
  "/format/envelope": "envelope",
  "/format/transform": "transform",
  "/lifecycle": "ongoingIntervalSec",
  "/lifecycle/ongoingIntervalSec": "ongoingIntervalSec",
  "/lifecycle/sendResolved": "sendResolved",
  "/tracing/propagate": "propagateTrace",
  "/tracing": "propagateTrace",
  "/flapping": "flapDamping",
  "/flapping/transitions": "flapTransitions",
  "/flapping/windowMin": "flapWindowMin",
  "/flapping/stableSec": "flapStableSec",
  "/batch": "batching",
  "/batch/maxEvents": "batchMaxEvents",
  "/batch/maxWaitMs": "batchMaxWaitMs",
  "/rateLimit": "ratePerSecond",
  "/rateLimit/perSecond": "ratePerSecond",
  "/rateLimit/burst": "rateBurst",
  "/retry": "retrySchedule",
  "/retry/scheduleMs": "retrySchedule",
  "/retry/maxAttempts": "retryMaxAttempts",
  "/retry/maxAgeMs": "retryMaxAge",
  "/filter": "filter",
  "/digest": "digesting",
  "/digest/windowSec": "digestWindow",
  "/digest/maxEvents": "digestMaxEvents",
  "/digest/groupBy": "digestGroupBy",
  "/proxy": "proxy",
  "/fallbackEndpointId": "fallbackEndpointId",
  "/signing": "signingScheme",
  "/signing/scheme": "signingScheme",
  "/signing/header": "signingHeader",
  "/signing/encoding": "signingEncoding",
  "/signing/prefix": "signingPrefix",
  "/signing/timestampHeader": "signingTimestampHeader",
  "/secret": "secret",
  "/validation": "validationMode",
  "/validation/mode": "validationMode",
  "/validation/method": "validationMethod",
};

/** The form's labels for the API's dotted names, longest first, so messages speak the form's language. */
const LABELS: [string, string][] = (
  [
    ["tls.clientCert", "Client certificate"],
    ["tls.clientKey", "Client key"],
    ["tls.ca", "Extra CA certificates"],
    ["tls.skipVerify", "Skip certificate verification"],
    ["signing.scheme", "Signing scheme"],
    ["signing.header", "Signature header"],
    ["signing.timestampHeader", "Timestamp header"],
    ["signing.prefix", "Prefix"],
    ["signing.encoding", "Encoding"],
    ["format.envelope", "Envelope"],
    ["format.transform", "Transform"],
    ["timeouts.connectMs", "Connect timeout"],
    ["timeouts.requestMs", "Request timeout"],
    ["auth.password", "Password"],
    ["auth.token", "Token"],
    ["auth.username", "Username"],
    ["auth.tokenUrl", "Token URL"],
    ["auth.clientId", "Client ID"],
    ["auth.clientSecret", "Client secret"],
    ["auth.scopes", "Scopes"],
    ["auth.audience", "Audience"],
    ["rateLimit.perSecond", "Requests a second"],
    ["flapping.transitions", "Restarts allowed"],
    ["flapping.windowMin", "Within (min)"],
    ["flapping.stableSec", "Stable for (s)"],
    ["batch.maxEvents", "Max events a batch"],
    ["batch.maxWaitMs", "Max wait"],
    ["retry.scheduleMs", "Retry delays"],
    ["retry.maxAttempts", "Max attempts"],
    ["retry.maxAgeMs", "Give up after"],
    ["digest.windowSec", "Digest window"],
    ["digest.maxEvents", "Events listed"],
    ["digest.groupBy", "Group by"],
    ["validation.mode", "Validation"],
  ] as [string, string][]
).sort((a, b) => b[0].length - a[0].length);

/**
 * An API message or warning with the API's field names (`tls.clientCert`, `/tls/clientKey`) put
 * as the form labels them ("Client certificate", "Client key"); a leading `url:` becomes "URL:".
 */
export function withFormLabels(message: string): string {
  let out = message.replace(/^url: /, "URL: ");
  for (const [name, label] of LABELS) {
    out = out.replaceAll(`/${name.replace(".", "/")}`, label).replace(new RegExp(`(^|[^\\w.])${name.replace(".", "\\.")}(?![\\w])`, "g"), `$1${label}`);
  }
  return out;
}

/** The form field a problem document's `errors[].path` (a JSON Pointer into the body) names, if any. */
export function fieldForPath(path: string): FieldName | null {
  if (PATHS[path]) return PATHS[path];
  const [, first, second] = path.split("/");
  if (first === "headers" || first === "eventTypes") return first;
  return PATHS[`/${first}/${second}`] ?? PATHS[`/${first}`] ?? null;
}

/** A problem document as inline messages: each `errors[]` entry under its field, the rest under `form`. */
export function problemToFieldErrors(problem: { detail?: string; errors?: { path: string; message: string }[] }): FieldErrors {
  const out: FieldErrors = {};
  for (const e of problem.errors ?? []) {
    const field = fieldForPath(e.path);
    const key = field ?? "form";
    if (out[key]) continue;
    // Header errors say which header; the path's last segment is its (escaped) name.
    const header = field === "headers" ? decodePointer(e.path.split("/")[2] ?? "") : "";
    const which = header && !e.message.includes(header) ? `${header}: ` : "";
    out[key] = withFormLabels(field ? `${which}${e.message}` : `${e.path || "body"}: ${e.message}`);
  }
  if (Object.keys(out).length === 0) out.form = problem.detail ?? "The server refused the endpoint.";
  return out;
}

function decodePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}
