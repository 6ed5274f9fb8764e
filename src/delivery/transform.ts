import jsonata from "jsonata";
import { isRawJson, parseJsonKeepingSource } from "../core/json.ts";

/**
 * Custom field names (`format.transform`): a JSONata expression, declarative and without access
 * to anything but its input, applied to the event document. Bounded: evaluation stops after
 * TRANSFORM_TIMEOUT_MS or TRANSFORM_MAX_DEPTH nested evaluations, and the result must serialise
 * to at most `maxBytes`.
 */
export const TRANSFORM_TIMEOUT_MS = 100;
export const TRANSFORM_MAX_DEPTH = 200;
export const MAX_TRANSFORM_LENGTH = 10_000;

export type CompiledTransform = ReturnType<typeof jsonata>;

export class TransformError extends Error {}

/** Compiles an expression; a syntax error names its position. */
export function compileTransform(text: string): CompiledTransform {
  try {
    return jsonata(text, { timeout: TRANSFORM_TIMEOUT_MS, stack: TRANSFORM_MAX_DEPTH });
  } catch (e) {
    const err = e as { message?: string; position?: number };
    throw new TransformError(`${err.position !== undefined ? `position ${err.position}: ` : ""}${err.message ?? String(e)}`);
  }
}

/** The document a transform sees. */
export interface TransformInput {
  id: string;
  type: string;
  severity: string | null;
  state: string | null;
  fingerprint: string | null;
  tenant: string;
  createdAt: string;
  startedAt: string;
  updateCount: number;
  payload: unknown;
}

/**
 * Runs a transform and returns the JSON text of its result; throws TransformError on any failure.
 * The transform sees plain numbers. With `payloadText` (the payload's stored JSON text), every
 * object or array of the payload that the result carries over unchanged is written from that
 * text, so its numbers keep their source form (`0.00` stays `0.00`); numbers the expression picks
 * out one by one or computes are written as plain numbers.
 */
export async function runTransform(t: CompiledTransform, input: TransformInput, maxBytes: number, payloadText?: string): Promise<string> {
  let result: unknown;
  try {
    result = await t.evaluate(input);
  } catch (e) {
    const err = e as { message?: string; code?: string; position?: number };
    const why = err.code === "D1012" ? `ran longer than ${TRANSFORM_TIMEOUT_MS} ms` : err.code === "D1011" ? `nested deeper than ${TRANSFORM_MAX_DEPTH}` : (err.message ?? String(e));
    throw new TransformError(`the transform failed${err.position !== undefined ? ` at position ${err.position}` : ""}: ${why}`);
  }
  if (result === undefined) throw new TransformError("the transform produced nothing (no match for its input)");
  let text: string | undefined;
  try {
    text = payloadText === undefined ? JSON.stringify(result) : JSON.stringify(result, keepingSourceOf(input.payload, payloadText));
  } catch (e) {
    throw new TransformError(`the transform's result is not JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new TransformError("the transform's result is not JSON (a function?)");
  if (Buffer.byteLength(text) > maxBytes) throw new TransformError(`the transform's result is over ${maxBytes} bytes`);
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
  for (let i = 0; i < pk.length; i++) {
    if (pk[i] !== kk[i] || !sameJson((plain as Record<string, unknown>)[pk[i]], (kept as Record<string, unknown>)[kk[i]])) return false;
  }
  return true;
}
