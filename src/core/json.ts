/**
 * JSON parsing that keeps every number's source text (`0.00` stays `0.00`, integers beyond 2^53
 * are not rounded) and every escaped string's source text, using the reviver's `context.source`
 * and `JSON.rawJSON`. `JSON.stringify` of the result reproduces those values byte for byte.
 */
type RawReviverContext = { source?: string };

function keepSource(this: unknown, _key: string, value: unknown, context?: RawReviverContext): unknown {
  if (context?.source === undefined) return value;
  if (typeof value === "number") return JSON.rawJSON(context.source);
  if (typeof value === "string" && context.source.includes("\\")) return JSON.rawJSON(context.source);
  return value;
}

export function parseJsonKeepingSource(text: string): unknown {
  return JSON.parse(text, keepSource as (key: string, value: unknown) => unknown);
}

/** True for the frozen wrapper objects that `JSON.rawJSON` returns. */
export function isRawJson(value: unknown): boolean {
  return JSON.isRawJSON(value);
}
