// --propagate-trace and --no-propagate-trace of `endpoint add` and `endpoint update`: tracing.propagate.
import { exclusive } from "./shared.ts";

export const TRACING_HELP = `  --propagate-trace / --no-propagate-trace
                              Whether requests carry the attempt's W3C traceparent header while the
                              server traces (OTEL_TRACES_EXPORTER; default: not sent)`;

export const tracingOptions = {
  "propagate-trace": { type: "boolean" },
  "no-propagate-trace": { type: "boolean" },
} as const;

export interface TracingFlags {
  "propagate-trace"?: boolean;
  "no-propagate-trace"?: boolean;
}

/** The body's `tracing` member from --propagate-trace or --no-propagate-trace; nothing when neither is given. */
export function tracingFlags(v: TracingFlags): { tracing?: { propagate: boolean } } {
  exclusive(v as Record<string, unknown>, ["propagate-trace", "no-propagate-trace"]);
  if (v["propagate-trace"]) return { tracing: { propagate: true } };
  if (v["no-propagate-trace"]) return { tracing: { propagate: false } };
  return {};
}
