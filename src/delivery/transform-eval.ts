import jsonata from "jsonata";
import { isRawJson, parseJsonKeepingSource } from "../core/json.ts";
import { coerceError } from "../core/errors.ts";

/**
 * Evaluation of a transform and serialisation of its result, as it runs inside a transform
 * process (transform-sandbox.ts). Nothing here is bounded but by JSONata's own between-step checks:
 * the hard limits (wall clock, memory) are the process's, enforced from outside by the pool.
 */
export const TRANSFORM_TIMEOUT_MS = 100;
export const TRANSFORM_MAX_DEPTH = 200;

export type Expression = ReturnType<typeof jsonata>;

/** A failure the tenant's expression caused; its message is shown to them as is. */
export class TransformFailure extends Error {}

/** Parses an expression; a syntax error names its position. */
export function parseExpression(text: string): Expression {
  try {
    return jsonata(text, { timeout: TRANSFORM_TIMEOUT_MS, stack: TRANSFORM_MAX_DEPTH });
  } catch (e) {
    const err = e as { message?: string; position?: number };
    throw new TransformFailure(`${err.position !== undefined ? `position ${err.position}: ` : ""}${err.message ?? String(e)}`);
  }
}

const CACHE_SIZE = 256;
const cache = new Map<string, Expression>();

/** Parsed expressions by their text, least recently used dropped first. */
function cachedExpression(text: string): Expression {
  let e = cache.get(text);
  if (e) {
    cache.delete(text);
  } else {
    e = parseExpression(text);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(text, e);
  return e;
}

/**
 * Evaluates `expression` on `input` and returns the JSON text of its result, at most `maxBytes`
 * long; throws TransformFailure otherwise. With `payloadText`, `input.payload` is parsed from it
 * here (it need not be given), and every object or array of the payload that the result carries
 * over unchanged is written from that text, so its numbers keep their source form (`0.00` stays
 * `0.00`); numbers the expression picks out one by one or computes are written as plain numbers.
 */
export async function evaluateToJson(expression: string, input: Record<string, unknown>, maxBytes: number, payloadText?: string): Promise<string> {
  const e = cachedExpression(expression);
  const doc = payloadText === undefined ? input : { ...input, payload: JSON.parse(payloadText) as unknown };
  let result: unknown;
  try {
    result = await e.evaluate(doc);
  } catch (err) {
    const x = err as { message?: string; code?: string; position?: number };
    const why =
      x.code === "D1012"
        ? `ran longer than ${TRANSFORM_TIMEOUT_MS} ms`
        : x.code === "D1011"
          ? `nested deeper than ${TRANSFORM_MAX_DEPTH}`
          : (x.message ?? String(err));
    throw new TransformFailure(`the transform failed${x.position !== undefined ? ` at position ${x.position}` : ""}: ${why}`);
  }
  if (result === undefined) throw new TransformFailure("the transform produced nothing (no match for its input)");
  let text: string | undefined;
  try {
    text = payloadText === undefined ? JSON.stringify(result) : JSON.stringify(result, keepingSourceOf(doc.payload, payloadText));
  } catch (err) {
    throw new TransformFailure(`the transform's result is not JSON: ${coerceError(err).message}`);
  }
  if (text === undefined) throw new TransformFailure("the transform's result is not JSON (a function?)");
  // Characters bound bytes from below: a result too long in characters is refused without encoding it.
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) throw new TransformFailure(`the transform's result is over ${maxBytes} bytes`);
  return text;
}

/**
 * A JSON.stringify replacer that writes each object or array of `payload` (reached by reference
 * in the transform's result) as its counterpart parsed from `text` with number text kept, when
 * it still holds the same values.
 */
function keepingSourceOf(payload: unknown, text: string): (key: string, value: unknown) => unknown {
  const twins = new Map<object, unknown>();
  const pair = (plain: unknown, kept: unknown): void => {
    if (plain === null || typeof plain !== "object") return;
    twins.set(plain, kept);
    for (const k of Object.keys(plain)) pair((plain as Record<string, unknown>)[k], (kept as Record<string, unknown>)[k]);
  };
  pair(payload, parseJsonKeepingSource(text));
  return (_key, value) => {
    if (value === null || typeof value !== "object" || !twins.has(value)) return value;
    const kept = twins.get(value);
    return sameJson(value, kept) ? kept : value;
  };
}

/** True when `kept` (numbers and escaped strings as raw JSON) holds the same values as `plain`. */
function sameJson(plain: unknown, kept: unknown): boolean {
  if (isRawJson(kept)) return JSON.parse((kept as { rawJSON: string }).rawJSON) === plain;
  if (plain === null || kept === null || typeof plain !== "object" || typeof kept !== "object") return plain === kept;
  if (Array.isArray(plain) !== Array.isArray(kept)) return false;
  const pk = Object.keys(plain);
  const kk = Object.keys(kept);
  if (pk.length !== kk.length) return false;
  let i = 0;
  for (const key of pk) {
    if (key !== kk[i++] || !sameJson((plain as Record<string, unknown>)[key], (kept as Record<string, unknown>)[key])) return false;
  }
  return true;
}
