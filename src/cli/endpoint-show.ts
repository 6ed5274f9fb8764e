import { X509Certificate } from "node:crypto";
import type { Endpoint } from "@tocsin/client";
import { digestSummary } from "./endpoint-flags-digest.ts";
import { retrySummary } from "./endpoint-flags.ts";
import { flappingSummary } from "./endpoint-flags-flapping.ts";

/** `tocsin endpoint show` and `add`/`update`: an endpoint's settings and health as text. */

function certSummary(pem: string): string {
  try {
    const c = new X509Certificate(pem);
    const cn = /CN=([^\n,]+)/.exec(c.subject)?.[1] ?? c.subject.replaceAll("\n", ", ");
    const until = new Date(c.validTo);
    return `${cn} (${until.getTime() < Date.now() ? "expired" : "valid until"} ${until.toISOString().slice(0, 10)})`;
  } catch {
    return "(unreadable)";
  }
}

/** The endpoint's settings, one compact line each (defaults left out where they say nothing). */
export function describeEndpoint(e: Endpoint): string {
  const rows: [string, string][] = [];
  rows.push(["status", e.status + (e.disabledReason && e.disabledReason !== "manual" ? ` (${e.disabledReason})` : "")]);
  rows.push(["receiver", `${e.method} ${e.url}`]);
  if (e.name) rows.push(["name", e.name]);
  if (e.description) rows.push(["description", e.description]);
  rows.push(["event types", e.eventTypes.length ? e.eventTypes.join(", ") : "(none: receives nothing)"]);
  rows.push(["min severity", e.minSeverity ?? "-"]);
  const headers = Object.entries(e.headers);
  if (headers.length) rows.push(["headers", headers.map(([k, v]) => `${k}: ${v}`).join(", ")]);
  const a = e.auth;
  rows.push([
    "auth",
    a.type === "basic"
      ? `basic, user ${a.username}${a.passwordSet ? ", password set" : ""}`
      : a.type === "bearer"
        ? `bearer${a.tokenSet ? ", token set" : ""}`
        : a.type === "oauth2"
          ? `oauth2, client ${a.clientId} at ${a.tokenUrl}${a.scopes?.length ? `, scopes ${a.scopes.join(" ")}` : ""}${a.clientSecretSet ? ", secret set" : ""}`
          : "none",
  ]);
  const s = e.signing;
  rows.push([
    "signing",
    s.scheme === "hmac-sha256"
      ? `hmac-sha256 in ${s.header}, ${s.encoding}${s.prefix ? `, prefix ${s.prefix}` : ""}${s.timestampHeader ? `, timestamp in ${s.timestampHeader}` : ""}`
      : s.scheme === "standard"
        ? "standard (Standard Webhooks)"
        : s.scheme === "ed25519"
          ? "ed25519 (Standard Webhooks v1a; tocsin endpoint secret prints the public key)"
          : "none (unsigned)",
  ]);
  if (e.previousSecretExpiresAt) rows.push(["", `the previous secret also signs until ${e.previousSecretExpiresAt}`]);
  const tls: string[] = [];
  if (e.tls.clientCert) tls.push(`client cert ${certSummary(e.tls.clientCert)}${e.tls.clientKeySet ? ", key set" : ""}`);
  if (e.tls.ca) {
    const n = e.tls.ca.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    tls.push(`extra CA (${n} certificate${n === 1 ? "" : "s"})`);
  }
  if (e.tls.skipVerify) tls.push("skip verify");
  if (tls.length) rows.push(["tls", tls.join("; ")]);
  rows.push(["timeouts", `connect ${e.timeouts.connectMs} ms, request ${e.timeouts.requestMs} ms`]);
  if (e.validation.mode !== "none") {
    const how = e.validation.mode === "token-path" ? `token-path (${e.validation.method})` : "challenge";
    rows.push(["validation", `${how}: ${e.validation.status}${e.validation.error ? ` - ${e.validation.error}` : ""}`]);
  }
  if (e.format) rows.push(["body", `${e.format.envelope}${e.format.transform ? `, transform ${e.format.transform}` : ""}`]);
  if (e.lifecycle) {
    const every = e.lifecycle.ongoingIntervalSec === 0 ? "every ongoing update" : `ongoing at most every ${e.lifecycle.ongoingIntervalSec} s`;
    rows.push(["alert updates", `${every}, end ${e.lifecycle.sendResolved ? "sent" : "not sent"}`]);
  }
  if (e.batch) rows.push(["batch", `up to ${e.batch.maxEvents} events, waiting at most ${e.batch.maxWaitMs} ms`]);
  if (e.rateLimit) rows.push(["rate limit", `${e.rateLimit.perSecond} a second, bursts of ${e.rateLimit.burst}`]);
  if (e.retry) rows.push(["retries", retrySummary(e.retry)]);
  if (e.proxy) rows.push(["egress proxy", e.proxy]);
  if (e.filter) rows.push(["filter", JSON.stringify(e.filter)]);
  if (e.flapping) rows.push(["flap damping", flappingSummary(e.flapping)]);
  if (e.digest) rows.push(["digest", digestSummary(e.digest)]);
  if (e.tracing?.propagate) rows.push(["tracing", "sends the attempt's traceparent to the receiver"]);
  if (e.fallbackEndpointId) rows.push(["fallback", `${e.fallbackEndpointId} (takes the deliveries while this endpoint fails)`]);
  const h = e.health;
  if (h) {
    const rate = h.successRate === null ? "no recent attempts" : `${Math.round(h.successRate * 1000) / 10}% of the last ${h.windowAttempts} attempts succeeded`;
    rows.push(["health", `${h.status}: ${rate}; circuit ${h.circuit}${h.circuitUntil ? ` until ${h.circuitUntil}` : ""}`]);
    if (h.lastSuccessAt) rows.push(["", `last success ${h.lastSuccessAt}`]);
    if (h.lastFailureAt) rows.push(["", `last failure ${h.lastFailureAt}: ${h.lastFailureReason ?? "-"}`]);
    if (h.failingSince)
      rows.push([
        "",
        `failing since ${h.failingSince} (${h.consecutiveFailures} failed in a row)${h.disableAt ? `; disabled at ${h.disableAt} unless it recovers` : ""}`,
      ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, val]) => `  ${k.padEnd(width)}  ${val}`).join("\n");
}
