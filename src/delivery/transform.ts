import jsonata from "jsonata";

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

/** Runs a transform and returns the JSON text of its result; throws TransformError on any failure. */
export async function runTransform(t: CompiledTransform, input: TransformInput, maxBytes: number): Promise<string> {
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
    text = JSON.stringify(result);
  } catch (e) {
    throw new TransformError(`the transform's result is not JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new TransformError("the transform's result is not JSON (a function?)");
  if (Buffer.byteLength(text) > maxBytes) throw new TransformError(`the transform's result is over ${maxBytes} bytes`);
  return text;
}
