import type { KeyObject } from "node:crypto";
import type { AttemptRequest, DigestInfo, Endpoint, EndpointCredentials, EndpointSettings, Envelope, SigningSettings } from "../core/types.ts";
import { keyForScheme, signatureHeaders } from "../signing/schemes.ts";
import { type CompiledTransform, type TransformInput, compileTransform, runTransform } from "./transform.ts";
import { type OAuth2Client, compileOAuth2 } from "./oauth2.ts";
import type { OutgoingRequest, Transport } from "./sender.ts";

/** An endpoint's decrypted secrets, held only in memory where requests are built. */
export interface PlainSecrets {
  secret: string;
  previousSecret: string | null;
  credentials: EndpointCredentials;
}

/**
 * Everything needed to build requests to one version of an endpoint, computed once per version:
 * the fixed headers (custom headers and auth), the signing keys and the transport.
 */
export interface EndpointProfile {
  endpointId: string;
  version: number;
  url: string;
  method: "POST" | "PUT";
  /** Fixed headers in wire order; the per-message ones are added after them. */
  headers: [string, string][];
  authorization: string | null;
  /** auth.type oauth2: how the sender gets the bearer token (authorization is null then). */
  oauth2: OAuth2Client | null;
  signing: SigningSettings;
  /** How bodies are shaped at this version (a delivery pinned to an older version uses that one's). */
  shaping: Shaping;
  /** A custom content-type header wins over the envelope's. */
  customContentType: boolean;
  key: KeyObject | null;
  previousKey: KeyObject | null;
  previousKeyUntil: number | null;
  transport: Transport;
  /** tracing.propagate: attempts carry their span's traceparent while tracing is on. */
  propagateTrace: boolean;
}

export interface Message {
  /** `webhook-id`: the event id, or the batch id (stable across retries, so receivers can deduplicate). */
  id: string;
  timestampSec: number;
  body: string;
  /** The envelope's content type, when it differs from the profile's (a delivery pinned to an older version). */
  contentType?: string;
}

/** An endpoint version's payload shaping: envelope and compiled transform. */
export interface Shaping {
  envelope: Envelope;
  transform: CompiledTransform | null;
}

export function compileShaping(s: EndpointSettings): Shaping {
  return { envelope: s.format.envelope, transform: s.format.transform === null ? null : compileTransform(s.format.transform) };
}

export const contentTypeOf = (envelope: Envelope): string => (envelope === "ndjson" ? "application/x-ndjson" : "application/json");

export function compileProfile(e: Endpoint, secrets: PlainSecrets, userAgent: string): EndpointProfile {
  const s = e.settings;
  // Custom headers may replace content-type and user-agent (names compare case-insensitively);
  // the API refuses the names Tocsin owns.
  const fixed = new Map<string, [string, string]>([
    ["content-type", ["content-type", contentTypeOf(s.format.envelope)]],
    ["user-agent", ["user-agent", userAgent]],
  ]);
  for (const [name, value] of Object.entries(s.headers)) fixed.set(name.toLowerCase(), [name, value]);
  let authorization: string | null = null;
  if (s.auth.type === "basic" && secrets.credentials.password !== undefined) {
    authorization = `Basic ${Buffer.from(`${s.auth.username}:${secrets.credentials.password}`, "utf8").toString("base64")}`;
  } else if (s.auth.type === "bearer" && secrets.credentials.token !== undefined) {
    authorization = `Bearer ${secrets.credentials.token}`;
  }
  const customTls = s.tls.clientCert !== null || s.tls.ca !== null || s.tls.skipVerify;
  return {
    endpointId: e.id,
    version: e.version,
    url: e.url,
    method: s.method,
    headers: [...fixed.values()],
    authorization,
    oauth2:
      s.auth.type === "oauth2" && secrets.credentials.clientSecret !== undefined
        ? viaProxy(compileOAuth2(e.id, e.version, s.auth, secrets.credentials.clientSecret, s.timeouts, userAgent), s.proxy ?? null)
        : null,
    signing: s.signing,
    shaping: compileShaping(s),
    customContentType: Object.keys(s.headers).some((h) => h.toLowerCase() === "content-type"),
    key: keyForScheme(s.signing, secrets.secret),
    previousKey: secrets.previousSecret !== null ? keyForScheme(s.signing, secrets.previousSecret) : null,
    previousKeyUntil: e.previousSecretExpiresAt,
    propagateTrace: s.tracing.propagate,
    transport: {
      // Every endpoint has pools of its own (see the sender), one per connect timeout; with TLS
      // options, one per endpoint version as well.
      endpointId: e.id,
      poolKey: customTls ? `${e.version}:${s.timeouts.connectMs}` : `${s.timeouts.connectMs}`,
      connectTimeoutMs: s.timeouts.connectMs,
      requestTimeoutMs: s.timeouts.requestMs,
      cert: s.tls.clientCert,
      key: s.tls.clientCert !== null ? (secrets.credentials.clientKey ?? null) : null,
      ca: s.tls.ca,
      skipVerify: s.tls.skipVerify,
      // The endpoint's egress proxy (TOCSIN_PROXIES): its pools are kept apart by it in the sender.
      proxy: s.proxy ?? null,
    },
  };
}

/** The token endpoint is reached through the endpoint's egress proxy too: the same fixed address the receiver sees. */
function viaProxy(c: OAuth2Client, proxy: string | null): OAuth2Client {
  return proxy === null ? c : { ...c, transport: { ...c.transport, proxy } };
}

/** What an envelope needs of an event: the payload's exact JSON text, its type and time. */
export interface ShapedEvent {
  type: string;
  createdAt: number;
  payload: string;
}

/**
 * The body an endpoint receives for an event: the payload as is (`raw`), in a Standard Webhooks
 * envelope (`{"type", "timestamp", "data"}`), in a JSON array (Wallarm), or as one NDJSON line.
 * Built by concatenation, so the payload's bytes (number text included) are kept exactly.
 */
export function renderBody(envelope: Envelope, e: ShapedEvent): string {
  switch (envelope) {
    case "raw":
      return e.payload;
    case "standard":
      return `{"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(new Date(e.createdAt).toISOString())},"data":${e.payload}}`;
    case "array":
      return `[${e.payload}]`;
    case "ndjson":
      return `${e.payload}\n`;
  }
}

/** An event as shaping sees it. `payload` is the stored JSON text. */
export interface EventForShaping extends ShapedEvent {
  id: string;
  tenantId: string;
  severity: string | null;
  fingerprint: string | null;
  state: string | null;
  startedAt: number;
  updateCount: number;
}

/** The event's payload after the transform (if any): still JSON text, before the envelope. Throws TransformError. */
export async function shapePayload(sh: Shaping, e: EventForShaping, maxBytes: number): Promise<string> {
  if (!sh.transform) return e.payload;
  const doc: TransformInput = {
    id: e.id,
    type: e.type,
    severity: e.severity,
    state: e.state,
    fingerprint: e.fingerprint,
    tenant: e.tenantId,
    createdAt: new Date(e.createdAt).toISOString(),
    startedAt: new Date(e.startedAt).toISOString(),
    updateCount: e.updateCount,
    // Parsed from the text by the transform process, off this thread.
    payload: undefined,
  };
  return runTransform(sh.transform, doc, maxBytes, e.payload);
}

/**
 * The body for one event: the transform (if any) applied to the event document, then the envelope.
 * Throws TransformError when the transform fails.
 */
export async function shapeBody(sh: Shaping, e: EventForShaping, maxBytes: number): Promise<string> {
  return renderBody(sh.envelope, { ...e, payload: await shapePayload(sh, e, maxBytes) });
}

/** The body for a batch, in membership order: a JSON array, or one NDJSON line per event. */
export async function shapeBatch(sh: Shaping, events: EventForShaping[], maxBytes: number): Promise<string> {
  const parts: string[] = [];
  for (const e of events) parts.push(await shapePayload(sh, e, maxBytes));
  return sh.envelope === "ndjson" ? parts.map((p) => `${p}\n`).join("") : `[${parts.join(",")}]`;
}

/**
 * The body of a digest (docs/alerts.md#digests): its summary with the count of events folded, then
 * its members as a batch shapes them. JSON envelopes: one object, `{"type": "tocsin.digest",
 * "digest": {…}, "events": [payloads]}`; ndjson: the summary line, then one line per member.
 */
export async function shapeDigest(sh: Shaping, id: string, info: DigestInfo, events: EventForShaping[], maxBytes: number): Promise<string> {
  const parts: string[] = [];
  for (const e of events) parts.push(await shapePayload(sh, e, maxBytes));
  const digest = {
    id,
    groupBy: info.groupBy,
    key: info.key,
    count: info.folded,
    listed: events.length,
    windowStart: new Date(info.windowStart).toISOString(),
    windowEnd: new Date(info.windowEnd).toISOString(),
  };
  const head = `"type":"tocsin.digest","digest":${JSON.stringify(digest)}`;
  return sh.envelope === "ndjson" ? `{${head}}\n${parts.map((p) => `${p}\n`).join("")}` : `{${head},"events":[${parts.join(",")}]}`;
}

/** The request for one message to one endpoint, signed afresh (call it for every attempt). */
export function buildRequest(
  p: EndpointProfile,
  m: Message,
  nowMs: number,
  url: string = p.url,
  method: OutgoingRequest["method"] = p.method,
): OutgoingRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of p.headers) headers[k] = v;
  if (m.contentType !== undefined && !p.customContentType) headers["content-type"] = m.contentType;
  headers["webhook-id"] = m.id;
  headers["webhook-timestamp"] = String(m.timestampSec);
  const keys: KeyObject[] = [];
  if (p.key) keys.push(p.key);
  if (p.previousKey && p.previousKeyUntil !== null && nowMs < p.previousKeyUntil) keys.push(p.previousKey);
  for (const [k, v] of signatureHeaders(p.signing, keys, m.id, m.timestampSec, m.body)) headers[k] = v;
  if (p.authorization !== null) headers.authorization = p.authorization;
  return { url, method, headers, body: method === "GET" ? null : m.body, transport: p.transport, oauth2: p.oauth2 };
}

/**
 * The record of a request for its attempt: headers redacted, and the body cut to `maxBodyBytes`
 * (at a character boundary, so the text stays valid UTF-8) with its whole size noted.
 */
export function attemptRequestOf(req: OutgoingRequest, maxBodyBytes: number): AttemptRequest {
  let body = req.body;
  let bodyBytes = 0;
  if (body !== null) {
    bodyBytes = Buffer.byteLength(body);
    if (bodyBytes > maxBodyBytes) body = truncateUtf8(body, maxBodyBytes);
  }
  return { method: req.method, url: req.url, headers: redactedHeaders(req.headers), body, bodyBytes };
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, "utf8");
  if (buf.length <= maxBytes) return s;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no character is cut in two.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}

/** A request as the API may show it: credentials replaced, signatures kept (they reveal nothing). */
export function redactedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = k.toLowerCase() === "authorization" ? `${v.slice(0, v.indexOf(" ") + 1)}[redacted]` : v;
  }
  return out;
}
