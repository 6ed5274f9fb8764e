// An endpoint's `tracing` setting: whether its requests carry the attempt's W3C traceparent.
import { invalid } from "../core/errors.ts";
import { obj } from "./endpoint-settings-fields.ts";

/** `tracing` (core/types.ts TracingSettings) after the merge; null or absent is the default, no propagation. */
export function checkTracing(v: unknown): { propagate: boolean } {
  const t = obj(v, "/tracing");
  for (const k of Object.keys(t)) if (k !== "propagate") throw invalid(`/tracing/${k}`, "is not a tracing setting: use propagate");
  const propagate = t.propagate ?? false;
  if (typeof propagate !== "boolean") throw invalid("/tracing/propagate", "must be true or false");
  return { propagate };
}
