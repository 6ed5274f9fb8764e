// The --digest-* flags of `endpoint add` and `endpoint update`: the endpoint's digest (docs/alerts.md, Digests).
import { UsageError, exclusive } from "./shared.ts";
import { coerceError } from "../core/errors.ts";
import { formatDuration, parseDuration } from "../core/retry-policy.ts";

export const DIGEST_HELP = `  --digest-window DURATION    Digest: per alert (or --digest-group-by value), the first event goes at
                              once and the rest of this window, e.g. 5m (10s to 24h; default 5m), in one
                              digest at its end
  --digest-max-events N       The most events a digest lists, the latest (1 to 1000; default 100)
  --digest-group-by KEY       fingerprint (the default) or payload.<path>, e.g. payload.host
  --no-digest                 Every event sent on its own again`;

export const digestOptions = {
  "digest-window": { type: "string" },
  "digest-max-events": { type: "string" },
  "digest-group-by": { type: "string" },
  "no-digest": { type: "boolean" },
} as const;

export interface DigestFlags {
  "digest-window"?: string;
  "digest-max-events"?: string;
  "digest-group-by"?: string;
  "no-digest"?: boolean;
}

/** `digest` from the flags: null for --no-digest, a merge patch of the members given, or undefined. */
export function digestFlags(v: DigestFlags): Record<string, unknown> | null | undefined {
  for (const f of ["digest-window", "digest-max-events", "digest-group-by"]) exclusive(v as Record<string, unknown>, ["no-digest", f]);
  if (v["no-digest"]) return null;
  const digest: Record<string, unknown> = {};
  const window = v["digest-window"];
  if (window !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(window);
    } catch (e) {
      throw new UsageError(`--digest-window: ${coerceError(e).message}`);
    }
    if (ms % 1000 !== 0) throw new UsageError(`--digest-window must be whole seconds, e.g. 30s or 5m, not ${JSON.stringify(window)}`);
    digest.windowSec = ms / 1000;
  }
  const max = v["digest-max-events"];
  if (max !== undefined) {
    if (!/^\d{1,4}$/.test(max.trim())) throw new UsageError(`--digest-max-events must be a whole number of events, not ${JSON.stringify(max)}`);
    digest.maxEvents = Number(max.trim());
  }
  if (v["digest-group-by"] !== undefined) digest.groupBy = v["digest-group-by"];
  return Object.keys(digest).length ? digest : undefined;
}

/** An endpoint's digest in a line: "one digest per 5m per payload.host, listing up to 100 events". */
export function digestSummary(d: { windowSec: number; maxEvents: number; groupBy: string }): string {
  return `first event at once, the rest of each ${formatDuration(d.windowSec * 1000)} window in one digest per ${d.groupBy}, listing up to ${d.maxEvents} events`;
}
