// --fallback and --no-fallback of `endpoint add` and `endpoint update`: fallbackEndpointId.
import { exclusive } from "./shared.ts";

export const FALLBACK_HELP = `  --fallback ENDPOINT_ID      Another endpoint of this tenant that takes this one's deliveries while
                              its circuit is open or it was disabled for failing, signed and shaped
                              by its own settings (header webhook-fallback-for)
  --no-fallback               No fallback endpoint again`;

export const fallbackOptions = {
  fallback: { type: "string" },
  "no-fallback": { type: "boolean" },
} as const;

export interface FallbackFlags {
  fallback?: string;
  "no-fallback"?: boolean;
}

/** `fallbackEndpointId` from --fallback (an id, checked by the server) or --no-fallback (null); undefined when neither is given. */
export function fallbackFlags(v: FallbackFlags): string | null | undefined {
  exclusive(v as Record<string, unknown>, ["fallback", "no-fallback"]);
  if (v["no-fallback"]) return null;
  return v.fallback;
}
