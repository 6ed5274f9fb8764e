// The --filter and --no-filter flags of `endpoint add` and `endpoint update`: the endpoint's filter.
import { UsageError, exclusive } from "./shared.ts";
import { coerceError } from "../core/errors.ts";

export const FILTER_HELP = `  --filter JSON               Only events this filter passes, e.g.
                              '{"payload.severity": {"$in": ["high", "critical"]}}' (docs/endpoints.md,
                              Filters); replaces the endpoint's filter whole
  --no-filter                 Every event the endpoint subscribes to again`;

export const filterOptions = {
  filter: { type: "string" },
  "no-filter": { type: "boolean" },
} as const;

export interface FilterFlags {
  filter?: string;
  "no-filter"?: boolean;
}

/** `filter` from --filter (JSON, checked by the server) or --no-filter (null); undefined when neither is given. */
export function filterFlags(v: FilterFlags): unknown {
  exclusive(v as Record<string, unknown>, ["filter", "no-filter"]);
  if (v["no-filter"]) return null;
  if (v.filter === undefined) return undefined;
  try {
    return JSON.parse(v.filter) as unknown;
  } catch (e) {
    throw new UsageError(`--filter must be JSON, e.g. '{"payload.severity": {"$in": ["high", "critical"]}}': ${coerceError(e).message}`);
  }
}
