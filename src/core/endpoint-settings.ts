import { SEVERITIES, type EndpointSettings, type Severity } from "./types.ts";

/** The Wallarm defaults: 20 s to connect, 15 s for the response. */
export const DEFAULT_CONNECT_MS = 20_000;
export const DEFAULT_REQUEST_MS = 15_000;

export function defaultSettings(connectMs = DEFAULT_CONNECT_MS, requestMs = DEFAULT_REQUEST_MS): EndpointSettings {
  return {
    method: "POST",
    headers: {},
    auth: { type: "none" },
    tls: { clientCert: null, ca: null, skipVerify: false },
    timeouts: { connectMs, requestMs },
    signing: { scheme: "standard" },
    validation: { mode: "none", method: "POST" },
    format: { envelope: "raw", transform: null },
    lifecycle: { ongoingIntervalSec: 300, sendResolved: true },
    batch: null,
    rateLimit: null,
    retry: null,
    proxy: null,
    filter: null,
    tracing: { propagate: false },
    flapping: null,
    digest: null,
  };
}

/** Reads a stored settings document; NULL (rows written before settings existed) means the defaults. */
export function parseSettings(text: string | null): EndpointSettings {
  if (text === null) return defaultSettings();
  const stored = JSON.parse(text) as Partial<EndpointSettings>;
  const d = defaultSettings();
  return { ...d, ...stored, format: { ...d.format, ...stored.format }, lifecycle: { ...d.lifecycle, ...stored.lifecycle } };
}

const RANK = new Map<string, number>(SEVERITIES.map((s, i) => [s, i]));

/** Whether an event of `severity` reaches an endpoint with `minSeverity`: no minimum passes all; a minimum passes only events at or above it. */
export function passesSeverity(minSeverity: string | null, severity: string | null): boolean {
  if (minSeverity === null) return true;
  if (severity === null) return false;
  return (RANK.get(severity) ?? -1) >= (RANK.get(minSeverity) ?? Infinity);
}

export function isSeverity(s: unknown): s is Severity {
  return typeof s === "string" && RANK.has(s);
}

/**
 * Warnings the API returns with an endpoint (and the log repeats): settings that are allowed but
 * weaken what the receiver can trust.
 */
export function settingsWarnings(s: EndpointSettings): string[] {
  const w: string[] = [];
  if (s.tls.skipVerify)
    w.push("tls.skipVerify is on: the receiver's certificate and host name are not checked, so anyone on the path can read or change deliveries");
  if (s.signing.scheme === "none") w.push("signing.scheme is none: the receiver cannot tell Tocsin's requests from anyone else's");
  return w;
}
