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

/** The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) max = depth;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}
