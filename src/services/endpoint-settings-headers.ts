// Endpoint headers: the configured ones, their case-insensitive merge patch, and the names Tocsin sends itself.
import { invalid } from "../core/errors.ts";
import type { AuthSettings, SigningSettings } from "../core/types.ts";
import { obj, str } from "./endpoint-settings-fields.ts";

export const MAX_HEADERS = 50;
const MAX_HEADER_NAME = 256;
const MAX_HEADER_VALUE = 4096;

// RFC 9110 token and field-value (visible ASCII, space and tab; no CR, LF or NUL).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Headers that HTTP or the connection owns; undici refuses most of them anyway. */
const HTTP_OWNED = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-connection",
]);

/** A merge patch of headers where names compare case-insensitively, as HTTP does: `x-a` replaces `X-A`. */
export function patchHeaders(base: Record<string, string>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = new Map<string, unknown>(Object.entries(base));
  const given = new Set<string>();
  for (const [name, value] of Object.entries(patch)) {
    if (given.has(name.toLowerCase()))
      throw invalid(`/headers/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`, `${name} is given twice (header names are case-insensitive)`);
    given.add(name.toLowerCase());
    for (const k of out.keys()) if (k.toLowerCase() === name.toLowerCase()) out.delete(k);
    if (value !== null) out.set(name, value);
  }
  return Object.fromEntries(out);
}

/** A header name Tocsin itself will send (signature, timestamp). */
export function checkOwnHeaderName(v: unknown, path: string): string {
  const name = str(v, path, { min: 1, max: MAX_HEADER_NAME, pattern: TOKEN, what: "must be a valid HTTP header name" });
  const lower = name.toLowerCase();
  if (HTTP_OWNED.has(lower) || lower.startsWith("webhook-") || ["authorization", "content-type", "user-agent"].includes(lower)) {
    throw invalid(path, `${name} is a header Tocsin or HTTP already sets`);
  }
  return name;
}

export function checkHeaders(v: unknown, auth: AuthSettings, signing: SigningSettings): Record<string, string> {
  const h = obj(v, "/headers");
  const entries = Object.entries(h);
  if (entries.length > MAX_HEADERS) throw invalid("/headers", `must have at most ${MAX_HEADERS} headers`);
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const path = `/headers/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (name.length === 0 || name.length > MAX_HEADER_NAME || !TOKEN.test(name)) throw invalid(path, `${JSON.stringify(name)} is not a valid HTTP header name`);
    const lower = name.toLowerCase();
    if (HTTP_OWNED.has(lower)) throw invalid(path, `${name} is set by HTTP itself and cannot be configured`);
    if (lower.startsWith("webhook-")) throw invalid(path, `${name}: webhook-* headers are set by Tocsin (id, timestamp, signature)`);
    if (signing.scheme === "hmac-sha256" && (lower === signing.header.toLowerCase() || lower === signing.timestampHeader?.toLowerCase())) {
      throw invalid(path, `${name} carries the endpoint's signature and is set by Tocsin`);
    }
    if (lower === "authorization" && auth.type !== "none") throw invalid(path, `${name} is set by the endpoint's ${auth.type} auth; remove one of them`);
    if (seen.has(lower)) throw invalid(path, `${name} is given twice (header names are case-insensitive)`);
    seen.add(lower);
    if (typeof value !== "string") throw invalid(path, "must be a string");
    if (value.length > MAX_HEADER_VALUE) throw invalid(path, `must be at most ${MAX_HEADER_VALUE} characters`);
    if (!FIELD_VALUE.test(value)) throw invalid(path, "must be printable ASCII (no CR, LF or other control characters)");
    out[name] = value.trim();
  }
  return out;
}
