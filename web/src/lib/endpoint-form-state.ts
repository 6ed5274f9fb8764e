// The endpoint form's fields, as inputs hold them (strings and booleans), and how an endpoint document fills them.
import type { Endpoint } from "@tocsin/client";
import { formatHeaderList } from "./headers.ts";
import { retryToFields } from "./endpoint-form-retry.ts";
import { type DigestFields, digestToFields } from "./endpoint-form-digest.ts";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export type AuthType = "none" | "basic" | "bearer" | "oauth2";
export type SigningScheme = "standard" | "hmac-sha256" | "ed25519" | "none";
export type Envelope = "raw" | "standard" | "array" | "ndjson";
export type ValidationMode = "none" | "token-path" | "challenge";

/** The Digest fields are in endpoint-form-digest.ts. */
export interface EndpointForm extends DigestFields {
  // Basics
  name: string;
  url: string;
  description: string;
  /** Comma- or space-separated patterns: `alert.*, leak`. */
  eventTypes: string;
  minSeverity: "" | Severity;
  enabled: boolean;
  // Request
  method: "POST" | "PUT";
  /** The `Name: value, Other: value` list. */
  headers: string;
  /** When the URL moves to another origin: keep the stored headers (they are removed otherwise). */
  keepHeaders: boolean;
  connectMs: string;
  requestMs: string;
  /** Retries (endpoint-form-retry.ts): delays as `5s, 5m, 30m`, attempts in all, an age like `2d`; all blank: the server's. */
  retrySchedule: string;
  retryMaxAttempts: string;
  retryMaxAge: string;
  /** The egress proxy's name (admin keys only); blank: TOCSIN_EGRESS_PROXY, or direct. */
  proxy: string;
  /** The fallback endpoint's id; blank: none. */
  fallbackEndpointId: string;
  // Auth (write-only secrets: blank keeps the stored one)
  authType: AuthType;
  username: string;
  password: string;
  token: string;
  /** OAuth2 client credentials; scopes space- or comma-separated. */
  oauthTokenUrl: string;
  oauthClientId: string;
  oauthClientSecret: string;
  oauthScopes: string;
  oauthAudience: string;
  // TLS
  clientCert: string;
  clientKey: string;
  ca: string;
  skipVerify: boolean;
  // Payload
  envelope: Envelope;
  transform: string;
  /** The filter as JSON text (core/filter.ts syntax); blank: every event the endpoint subscribes to. */
  filter: string;
  ongoingIntervalSec: string;
  sendResolved: boolean;
  /** tracing.propagate: send the attempt's W3C traceparent to the receiver. */
  propagateTrace: boolean;
  /** flapping: hold an alert that keeps starting again until it is stable; blank members take the defaults. */
  flapDamping: boolean;
  flapTransitions: string;
  flapWindowMin: string;
  flapStableSec: string;
  batching: boolean;
  batchMaxEvents: string;
  batchMaxWaitMs: string;
  rateLimiting: boolean;
  ratePerSecond: string;
  rateBurst: string;
  // Advanced
  signingScheme: SigningScheme;
  signingHeader: string;
  signingEncoding: "hex" | "base64";
  signingPrefix: string;
  signingTimestampHeader: string;
  /** Blank: generated on create, kept on edit. */
  secret: string;
  validationMode: ValidationMode;
  validationMethod: "POST" | "PUT" | "GET";
}

export type FieldName = keyof EndpointForm;
/** Messages by field; `form` holds what belongs to no single field. */
export type FieldErrors = Partial<Record<FieldName | "form", string>>;

/** The server's defaults, shown as placeholders and hints. */
export const DEFAULTS = {
  connectMs: 20_000,
  requestMs: 15_000,
  ongoingIntervalSec: 300,
  batchMaxEvents: 100,
  batchMaxWaitMs: 1000,
  flapTransitions: 5,
  flapWindowMin: 30,
  flapStableSec: 600,
} as const;

export function newEndpointForm(): EndpointForm {
  return {
    name: "",
    url: "",
    description: "",
    eventTypes: "*",
    minSeverity: "",
    enabled: true,
    method: "POST",
    headers: "",
    keepHeaders: false,
    connectMs: "",
    requestMs: "",
    retrySchedule: "",
    retryMaxAttempts: "",
    retryMaxAge: "",
    proxy: "",
    fallbackEndpointId: "",
    authType: "none",
    username: "",
    password: "",
    token: "",
    oauthTokenUrl: "",
    oauthClientId: "",
    oauthClientSecret: "",
    oauthScopes: "",
    oauthAudience: "",
    clientCert: "",
    clientKey: "",
    ca: "",
    skipVerify: false,
    envelope: "raw",
    transform: "",
    filter: "",
    ongoingIntervalSec: String(DEFAULTS.ongoingIntervalSec),
    sendResolved: true,
    propagateTrace: false,
    flapDamping: false,
    flapTransitions: "",
    flapWindowMin: "",
    flapStableSec: "",
    batching: false,
    batchMaxEvents: "",
    batchMaxWaitMs: "",
    ...digestToFields(null),
    rateLimiting: false,
    ratePerSecond: "",
    rateBurst: "",
    signingScheme: "standard",
    signingHeader: "",
    signingEncoding: "hex",
    signingPrefix: "",
    signingTimestampHeader: "",
    secret: "",
    validationMode: "none",
    validationMethod: "POST",
  };
}

export function endpointToForm(ep: Endpoint): EndpointForm {
  const hmac = ep.signing.scheme === "hmac-sha256" ? ep.signing : null;
  return {
    name: ep.name ?? "",
    url: ep.url,
    description: ep.description ?? "",
    eventTypes: ep.eventTypes.join(", "),
    minSeverity: (ep.minSeverity ?? "") as EndpointForm["minSeverity"],
    enabled: ep.enabled,
    method: ep.method,
    headers: formatHeaderList(ep.headers),
    keepHeaders: false,
    connectMs: String(ep.timeouts.connectMs),
    requestMs: String(ep.timeouts.requestMs),
    ...retryToFields(ep.retry),
    proxy: ep.proxy ?? "",
    fallbackEndpointId: ep.fallbackEndpointId ?? "",
    authType: ep.auth.type,
    username: ep.auth.username ?? "",
    password: "",
    token: "",
    oauthTokenUrl: ep.auth.tokenUrl ?? "",
    oauthClientId: ep.auth.clientId ?? "",
    oauthClientSecret: "",
    oauthScopes: (ep.auth.scopes ?? []).join(" "),
    oauthAudience: ep.auth.audience ?? "",
    clientCert: ep.tls.clientCert ?? "",
    clientKey: "",
    ca: ep.tls.ca ?? "",
    skipVerify: ep.tls.skipVerify,
    envelope: ep.format.envelope as Envelope,
    transform: ep.format.transform ?? "",
    filter: ep.filter ? JSON.stringify(ep.filter, null, 2) : "",
    ongoingIntervalSec: String(ep.lifecycle.ongoingIntervalSec),
    sendResolved: ep.lifecycle.sendResolved,
    propagateTrace: ep.tracing.propagate,
    flapDamping: ep.flapping !== null,
    flapTransitions: ep.flapping ? String(ep.flapping.transitions) : "",
    flapWindowMin: ep.flapping ? String(ep.flapping.windowMin) : "",
    flapStableSec: ep.flapping ? String(ep.flapping.stableSec) : "",
    batching: ep.batch !== null,
    batchMaxEvents: ep.batch ? String(ep.batch.maxEvents) : "",
    batchMaxWaitMs: ep.batch ? String(ep.batch.maxWaitMs) : "",
    ...digestToFields(ep.digest),
    rateLimiting: ep.rateLimit !== null,
    ratePerSecond: ep.rateLimit ? String(ep.rateLimit.perSecond) : "",
    rateBurst: ep.rateLimit ? String(ep.rateLimit.burst) : "",
    signingScheme: ep.signing.scheme,
    signingHeader: hmac?.header ?? "",
    signingEncoding: hmac?.encoding ?? "hex",
    signingPrefix: hmac?.prefix ?? "",
    signingTimestampHeader: hmac?.timestampHeader ?? "",
    secret: "",
    validationMode: ep.validation.mode,
    validationMethod: ep.validation.method,
  };
}
