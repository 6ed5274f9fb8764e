// The endpoint form's Digest fields: a window like "5m", the most events listed and the group key, to and from the API's `digest`.
import { formatDurationMs, parseDurationText } from "./endpoint-form-retry.ts";

export interface DigestFields {
  /** Whether the endpoint sends digests. */
  digesting: boolean;
  /** The window, e.g. `5m`; blank: the server's default (5m). */
  digestWindow: string;
  /** The most events a digest lists; blank: 100. */
  digestMaxEvents: string;
  /** `fingerprint` or `payload.<path>`; blank: fingerprint. */
  digestGroupBy: string;
}

export interface DigestDoc {
  windowSec: number;
  maxEvents: number;
  groupBy: string;
}

export function digestToFields(d: DigestDoc | null | undefined): DigestFields {
  return {
    digesting: !!d,
    digestWindow: d ? formatDurationMs(d.windowSec * 1000) : "",
    digestMaxEvents: d ? String(d.maxEvents) : "",
    digestGroupBy: d && d.groupBy !== "fingerprint" ? d.groupBy : "",
  };
}

/** One line for the settings summary. */
export function digestSummary(d: DigestDoc | null | undefined): string {
  if (!d) return "off";
  return `first event at once, then one digest per ${formatDurationMs(d.windowSec * 1000)} per ${d.groupBy} (up to ${d.maxEvents} events listed)`;
}

/**
 * The `digest` document the fields make (null when off; a blank member is null, the server's
 * default), with each field's local error. The server checks the bounds again.
 */
export function parseDigestFields(
  f: DigestFields,
  errors: Partial<Record<keyof DigestFields, string>>,
): { windowSec: number | null; maxEvents: number | null; groupBy: string | null } | null {
  if (!f.digesting) return null;
  let windowSec: number | null = null;
  const w = f.digestWindow.trim();
  if (w !== "") {
    const ms = parseDurationText(w);
    if (ms === null || ms % 1000 !== 0) errors.digestWindow = `"${w}" is not a whole number of seconds, minutes or hours, e.g. 30s, 5m or 1h`;
    else if (ms < 10_000 || ms > 86_400_000) errors.digestWindow = "must be from 10s to 24h";
    else windowSec = ms / 1000;
  }
  let maxEvents: number | null = null;
  const n = f.digestMaxEvents.trim();
  if (n !== "") {
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 1000) errors.digestMaxEvents = "must be a whole number from 1 to 1000";
    else maxEvents = Number(n);
  }
  const g = f.digestGroupBy.trim();
  if (g !== "" && g !== "fingerprint" && !/^payload(\.[^.]+)+$/.test(g)) errors.digestGroupBy = "must be fingerprint or payload.<path>, e.g. payload.host";
  return { windowSec, maxEvents, groupBy: g === "" ? null : g };
}
