import { readFileSync } from "node:fs";
import type { Endpoint } from "@tocsin/client";
import { parseHeader, parseHeaderList } from "@tocsin/client";
import { type Env, type Out, SEVERITIES, UsageError, exclusive, oneOf } from "./shared.ts";
import { coerceError } from "../core/errors.ts";
import { OAUTH2_HELP, type OAuth2Flags, oauth2Flags, oauth2Options } from "./endpoint-flags-oauth2.ts";
import { FILTER_HELP, type FilterFlags, filterFlags, filterOptions } from "./endpoint-flags-filter.ts";
import { DIGEST_HELP, type DigestFlags, digestFlags, digestOptions } from "./endpoint-flags-digest.ts";
import { PROXY_HELP, type ProxyFlags, proxyFlags, proxyOptions } from "./endpoint-flags-proxy.ts";
import { TRACING_HELP, type TracingFlags, tracingFlags, tracingOptions } from "./endpoint-flags-tracing.ts";
import { retryFlags } from "./endpoint-flags-retry.ts";
import { FLAPPING_HELP, type FlappingFlags, flappingFlags, flappingOptions } from "./endpoint-flags-flapping.ts";
import { FALLBACK_HELP, type FallbackFlags, fallbackFlags, fallbackOptions } from "./endpoint-flags-fallback.ts";

export { retrySummary } from "./endpoint-flags-retry.ts";

/** The endpoint settings flags `endpoint add` and `endpoint update` share, their help, and the body they make. */

export const SETTINGS_HELP = `Settings:
  --method POST|PUT           HTTP method of deliveries (default POST)
  --headers "A: 1, B: 2"      Extra request headers as one list. Entries are separated by newlines,
                              or by a comma followed by a header name and a colon (", B:"); any
                              other comma stays in the value ("Accept: a/b, c/d" is one header), as
                              does ", https://..." (a colon followed by //). Spaces around names and
                              values are trimmed; a comma ending the list is dropped. For a value
                              that holds ", Name:" use --header.
  --header "Name: value"      One extra header, split at the first colon (repeatable)
  --basic-auth USER:PASSWORD  HTTP basic auth (split at the first colon)
  --basic-auth-env VAR        The same, read from environment variable VAR
  --bearer-token TOKEN        Sends Authorization: Bearer TOKEN
  --bearer-token-env VAR      The same, read from environment variable VAR
${OAUTH2_HELP}
  --client-cert FILE          Client certificate (PEM) for mutual TLS, with --client-key
  --client-key FILE           Its private key (unencrypted PEM)
  --ca FILE                   Extra CA certificates (PEM) trusted for the receiver
  --skip-verify               Do not check the receiver's certificate (warned about)
  --no-skip-verify            Check it again (the default)
  --connect-timeout MS        Connect timeout in ms (default 20000, at most the server's limit)
  --request-timeout MS        Request timeout in ms (default 15000, at most the server's limit)
  --min-severity LEVEL        Deliver only events of LEVEL or above: info, low, medium, high,
                              critical (events without a severity are then skipped); none: all
  --signing SCHEME            standard (Standard Webhooks; default), hmac-sha256, ed25519 (Standard
                              Webhooks v1a: a key pair Tocsin keeps; receivers get the public key)
                              or none (unsigned)
  --signature-header NAME     hmac-sha256: the header carrying the signature (required)
  --signature-encoding ENC    hmac-sha256: hex (default) or base64
  --signature-prefix TEXT     hmac-sha256: text before the digest, e.g. sha256=
  --timestamp-header NAME     hmac-sha256: sign "<unix seconds>:<body>" and send the time in NAME
  --validation MODE           none (default); token-path: <url>/<token> must answer 2xx; challenge:
                              a signed POST whose challenge must be echoed. Deliveries wait for it.
  --validation-method METHOD  Method of the token-path request: POST (default), PUT or GET
  --envelope FORMAT           raw (default: the payload as is), standard ({"type", "timestamp",
                              "data"}), array ([payload], as Wallarm) or ndjson (one line each)
  --transform EXPR            JSONata expression giving the body from the event document (custom
                              field names), e.g. '{"alert": payload.name, "sev": severity}';
                              '' removes it
  --ongoing-interval SECONDS  Alert updates: at most one ongoing update per alert per interval
                              (default 300; 0: every update)
  --send-resolved / --no-send-resolved
                              Whether end (resolved) updates are sent (default: sent)
  --rate-limit N[/BURST]      At most N requests a second to this endpoint (fractions allowed), with
                              bursts of up to BURST (default N rounded up), across every worker;
                              deliveries beyond it wait. off: no limit
  --batch N[/MS]              Up to N events a request, sent when N wait or the oldest has waited
                              MS milliseconds (default 1000); needs --envelope array or ndjson.
                              'off' sends one event a request again
  --retry-schedule LIST       This endpoint's retry delays, e.g. 5s,5m,30m (units ms, s, m, h, d):
                              one attempt more than delays, instead of the server's schedule
  --retry-max-attempts N      Attempts in all, the first included: the schedule (this endpoint's or
                              the server's) is cut, or extended by repeating its last delay
  --retry-max-age DURATION    No retry later than this after the event was created, e.g. 2d; alone,
                              the server's schedule is followed (its last delay repeated) until then
                              Each of the three takes 'default' to drop it again
  --retry-default             The server's retry policy again (drops all three)
${FLAPPING_HELP}
${TRACING_HELP}
${PROXY_HELP}
${FILTER_HELP}
${DIGEST_HELP}
${FALLBACK_HELP}

Secrets given as flags (--basic-auth, --bearer-token, --oauth2-client-secret, --secret) are visible
to other users of this machine in 'ps' and stay in your shell history: prefer the -env flags.`;

/** The setting flags `endpoint add` and `endpoint update` share. */
export const settingOptions = {
  method: { type: "string" },
  header: { type: "string", multiple: true },
  headers: { type: "string" },
  "basic-auth": { type: "string" },
  "basic-auth-env": { type: "string" },
  "bearer-token": { type: "string" },
  "bearer-token-env": { type: "string" },
  ...oauth2Options,
  "client-cert": { type: "string" },
  "client-key": { type: "string" },
  ca: { type: "string" },
  "skip-verify": { type: "boolean" },
  "no-skip-verify": { type: "boolean" },
  "connect-timeout": { type: "string" },
  "request-timeout": { type: "string" },
  "min-severity": { type: "string" },
  signing: { type: "string" },
  "signature-header": { type: "string" },
  "signature-encoding": { type: "string" },
  "signature-prefix": { type: "string" },
  "timestamp-header": { type: "string" },
  validation: { type: "string" },
  "validation-method": { type: "string" },
  envelope: { type: "string" },
  transform: { type: "string" },
  "ongoing-interval": { type: "string" },
  "send-resolved": { type: "boolean" },
  "no-send-resolved": { type: "boolean" },
  batch: { type: "string" },
  "rate-limit": { type: "string" },
  "retry-schedule": { type: "string" },
  "retry-max-attempts": { type: "string" },
  "retry-max-age": { type: "string" },
  "retry-default": { type: "boolean" },
  ...flappingOptions,
  ...tracingOptions,
  ...proxyOptions,
  ...filterOptions,
  ...digestOptions,
  ...fallbackOptions,
  "receiver-url": { type: "string" },
  "event-types": { type: "string" },
  name: { type: "string" },
  description: { type: "string" },
} as const;

/** Flags only `endpoint update` takes. */
export const updateOptions = {
  id: { type: "string" },
  enable: { type: "boolean" },
  disable: { type: "boolean" },
  "remove-header": { type: "string", multiple: true },
  "no-auth": { type: "boolean" },
  "no-client-cert": { type: "boolean" },
  "no-ca": { type: "boolean" },
  "keep-headers": { type: "boolean" },
} as const;

interface SettingFlags extends OAuth2Flags, ProxyFlags, FilterFlags, TracingFlags, FlappingFlags, DigestFlags, FallbackFlags {
  method?: string;
  header?: string[];
  headers?: string;
  "basic-auth"?: string;
  "basic-auth-env"?: string;
  "bearer-token"?: string;
  "bearer-token-env"?: string;
  "client-cert"?: string;
  "client-key"?: string;
  ca?: string;
  "skip-verify"?: boolean;
  "no-skip-verify"?: boolean;
  "connect-timeout"?: string;
  "request-timeout"?: string;
  "min-severity"?: string;
  signing?: string;
  "signature-header"?: string;
  "signature-encoding"?: string;
  "signature-prefix"?: string;
  "timestamp-header"?: string;
  validation?: string;
  "validation-method"?: string;
  envelope?: string;
  transform?: string;
  "ongoing-interval"?: string;
  "send-resolved"?: boolean;
  "no-send-resolved"?: boolean;
  batch?: string;
  "rate-limit"?: string;
  "retry-schedule"?: string;
  "retry-max-attempts"?: string;
  "retry-max-age"?: string;
  "retry-default"?: boolean;
  "remove-header"?: string[];
  "no-auth"?: boolean;
  "no-client-cert"?: boolean;
  "no-ca"?: boolean;
}

type EndpointDoc = Endpoint;

function milliseconds(v: string, flag: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new UsageError(`--${flag} must be a whole number of milliseconds, not ${JSON.stringify(v)}`);
  return Number(v);
}

function fromEnv(env: Env, name: string, flag: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new UsageError(`--${flag}: environment variable ${name} is not set`);
  return v;
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read --${flag} ${file}: ${coerceError(e).message}`);
  }
}

export function eventTypesOf(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Headers from --headers and --header; a name given twice (any case) is a usage error. */
function headerFlags(v: SettingFlags): { list: Record<string, string> | undefined; single: [string, string][] } {
  let list: Record<string, string> | undefined;
  const single: [string, string][] = [];
  try {
    if (v.headers !== undefined) list = parseHeaderList(v.headers);
  } catch (e) {
    throw new UsageError(`--headers: ${coerceError(e).message}`);
  }
  for (const h of v.header ?? []) {
    try {
      single.push(parseHeader(h));
    } catch (e) {
      throw new UsageError(`--header: ${coerceError(e).message}`);
    }
  }
  const seen = new Set(Object.keys(list ?? {}).map((n) => n.toLowerCase()));
  for (const [name] of single) {
    if (seen.has(name.toLowerCase())) throw new UsageError(`header ${name} is given twice (header names are case-insensitive)`);
    seen.add(name.toLowerCase());
  }
  return { list, single };
}

const lowerKey = (obj: Record<string, unknown>, name: string) => Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());

/**
 * The settings part of a create body or a PATCH from the flags. `current` is the endpoint as it is
 * (update only); it is fetched only when a flag needs it (headers, signature details).
 */
export async function settingsFromFlags(v: SettingFlags, env: Env, io: Out, current?: () => Promise<EndpointDoc>): Promise<Record<string, unknown>> {
  const update = current !== undefined;
  const body: Record<string, unknown> = {};
  if (v.method !== undefined) body.method = oneOf(v.method, "method", ["POST", "PUT"], true);

  // headers
  const { list, single } = headerFlags(v);
  if (!update) {
    const h = { ...list, ...Object.fromEntries(single) };
    if (Object.keys(h).length) body.headers = h;
  } else if (list !== undefined || single.length || v["remove-header"]?.length) {
    const have = (await current()).headers;
    const want: Record<string, string> = list ?? { ...have };
    for (const [name, value] of single) {
      const k = lowerKey(want, name);
      if (k !== undefined) delete want[k];
      want[name] = value;
    }
    for (const name of v["remove-header"] ?? []) {
      if (single.some(([n]) => n.toLowerCase() === name.toLowerCase())) throw new UsageError(`header ${name} is both set and removed`);
      const k = lowerKey(want, name);
      if (k === undefined) io.err(`warning: the endpoint has no header ${name} to remove`);
      else delete want[k];
    }
    // A merge patch from what is there to what is wanted. The API compares names
    // case-insensitively (x-a replaces X-A), so a name appears once in the patch.
    const patch: Record<string, string | null> = {};
    for (const k of Object.keys(have)) if (lowerKey(want, k) === undefined) patch[k] = null;
    for (const [k, val] of Object.entries(want)) if (have[k] !== val) patch[k] = val;
    if (Object.keys(patch).length) body.headers = patch;
  }

  // auth
  exclusive(v as Record<string, unknown>, ["basic-auth", "basic-auth-env", "bearer-token", "bearer-token-env", "no-auth"]);
  const basic = v["basic-auth"] ?? (v["basic-auth-env"] !== undefined ? fromEnv(env, v["basic-auth-env"], "basic-auth-env") : undefined);
  const bearer = v["bearer-token"] ?? (v["bearer-token-env"] !== undefined ? fromEnv(env, v["bearer-token-env"], "bearer-token-env") : undefined);
  if (basic !== undefined) {
    const colon = basic.indexOf(":");
    if (colon < 0) throw new UsageError("--basic-auth must be USER:PASSWORD (split at the first colon)");
    body.auth = { type: "basic", username: basic.slice(0, colon), password: basic.slice(colon + 1) };
  } else if (bearer !== undefined) {
    if (bearer === "") throw new UsageError("--bearer-token must not be empty");
    body.auth = { type: "bearer", token: bearer };
  } else if (v["no-auth"]) {
    body.auth = { type: "none" };
  }
  const oauth2 = oauth2Flags(v, env);
  if (oauth2 !== null) {
    if (body.auth !== undefined) throw new UsageError("the --oauth2-* flags cannot be combined with another auth flag");
    body.auth = oauth2;
  }

  // tls
  exclusive(v as Record<string, unknown>, ["skip-verify", "no-skip-verify"]);
  exclusive(v as Record<string, unknown>, ["client-cert", "no-client-cert"]);
  exclusive(v as Record<string, unknown>, ["client-key", "no-client-cert"]);
  exclusive(v as Record<string, unknown>, ["ca", "no-ca"]);
  const tls: Record<string, unknown> = {};
  if (v["client-cert"] !== undefined) tls.clientCert = readPem(v["client-cert"], "client-cert");
  if (v["client-key"] !== undefined) tls.clientKey = readPem(v["client-key"], "client-key");
  if (v["no-client-cert"]) Object.assign(tls, { clientCert: null, clientKey: null });
  if (v.ca !== undefined) tls.ca = readPem(v.ca, "ca");
  if (v["no-ca"]) tls.ca = null;
  if (v["skip-verify"]) tls.skipVerify = true;
  if (v["no-skip-verify"]) tls.skipVerify = false;
  if (Object.keys(tls).length) body.tls = tls;

  // timeouts
  const timeouts: Record<string, number> = {};
  if (v["connect-timeout"] !== undefined) timeouts.connectMs = milliseconds(v["connect-timeout"], "connect-timeout");
  if (v["request-timeout"] !== undefined) timeouts.requestMs = milliseconds(v["request-timeout"], "request-timeout");
  if (Object.keys(timeouts).length) body.timeouts = timeouts;

  if (v["min-severity"] !== undefined) {
    const level = oneOf(v["min-severity"], "min-severity", [...SEVERITIES, "none"]);
    body.minSeverity = level === "none" ? null : level;
  }

  // signing
  const signing: Record<string, unknown> = {};
  if (v.signing !== undefined) signing.scheme = oneOf(v.signing, "signing", ["standard", "hmac-sha256", "ed25519", "none"]);
  const details = (["signature-header", "signature-encoding", "signature-prefix", "timestamp-header"] as const).filter((f) => v[f] !== undefined);
  if (details.length) {
    const scheme = (signing.scheme as string | undefined) ?? (update ? (await current()).signing.scheme : "standard");
    if (scheme !== "hmac-sha256") {
      throw new UsageError(`--${details[0]} applies to --signing hmac-sha256 only (the endpoint's scheme would be ${scheme})`);
    }
    if (v["signature-header"] !== undefined) signing.header = v["signature-header"];
    if (v["signature-encoding"] !== undefined) signing.encoding = oneOf(v["signature-encoding"], "signature-encoding", ["hex", "base64"]);
    if (v["signature-prefix"] !== undefined) signing.prefix = v["signature-prefix"];
    if (v["timestamp-header"] !== undefined) signing.timestampHeader = v["timestamp-header"] === "" ? null : v["timestamp-header"];
  }
  if (Object.keys(signing).length) body.signing = signing;

  // validation
  const validation: Record<string, unknown> = {};
  if (v.validation !== undefined) validation.mode = oneOf(v.validation, "validation", ["none", "token-path", "challenge"]);
  if (v["validation-method"] !== undefined) validation.method = oneOf(v["validation-method"], "validation-method", ["POST", "PUT", "GET"], true);
  if (Object.keys(validation).length) body.validation = validation;
  const format: Record<string, unknown> = {};
  if (v.envelope !== undefined) format.envelope = oneOf(v.envelope, "envelope", ["raw", "standard", "array", "ndjson"]);
  if (v.transform !== undefined) format.transform = v.transform === "" ? null : v.transform;
  if (Object.keys(format).length) body.format = format;

  // alert lifecycle and batching
  const lifecycle: Record<string, unknown> = {};
  if (v["ongoing-interval"] !== undefined) {
    if (!/^\d{1,6}$/.test(v["ongoing-interval"]))
      throw new UsageError(`--ongoing-interval must be a whole number of seconds, not ${JSON.stringify(v["ongoing-interval"])}`);
    lifecycle.ongoingIntervalSec = Number(v["ongoing-interval"]);
  }
  exclusive(v as Record<string, unknown>, ["send-resolved", "no-send-resolved"]);
  if (v["send-resolved"]) lifecycle.sendResolved = true;
  if (v["no-send-resolved"]) lifecycle.sendResolved = false;
  if (Object.keys(lifecycle).length) body.lifecycle = lifecycle;
  if (v.batch !== undefined) {
    const m = /^(\d{1,4})(?:\/(\d{1,6}))?$/.exec(v.batch);
    if (v.batch === "off") body.batch = null;
    else if (!m) throw new UsageError(`--batch takes N or N/MS (events, milliseconds) or off, not ${JSON.stringify(v.batch)}`);
    else body.batch = { maxEvents: Number(m[1]), ...(m[2] !== undefined ? { maxWaitMs: Number(m[2]) } : {}) };
  }
  if (v["rate-limit"] !== undefined) {
    const m = /^(\d{1,6}(?:\.\d{1,3})?)(?:\/(\d{1,6}))?$/.exec(v["rate-limit"]);
    if (v["rate-limit"] === "off") body.rateLimit = null;
    else if (!m) throw new UsageError(`--rate-limit takes N or N/BURST (requests a second, burst) or off, not ${JSON.stringify(v["rate-limit"])}`);
    else body.rateLimit = { perSecond: Number(m[1]), ...(m[2] !== undefined ? { burst: Number(m[2]) } : {}) };
  }
  const retry = retryFlags(v);
  if (retry !== undefined) body.retry = retry;
  const flapping = flappingFlags(v);
  if (flapping !== undefined) body.flapping = flapping;
  Object.assign(body, tracingFlags(v));
  const proxy = proxyFlags(v);
  if (proxy !== undefined) body.proxy = proxy;
  if (v.filter !== undefined || v["no-filter"]) body.filter = filterFlags(v);
  const digest = digestFlags(v);
  if (digest !== undefined) body.digest = digest;
  const fallback = fallbackFlags(v);
  if (fallback !== undefined) body.fallbackEndpointId = fallback;
  return body;
}
