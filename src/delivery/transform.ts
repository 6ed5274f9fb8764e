import { TRANSFORM_MAX_DEPTH, TRANSFORM_TIMEOUT_MS, parseExpression } from "./transform-eval.ts";
import { type TransformPool, type TransformPoolOptions, createTransformPool } from "./transform-pool.ts";
import { coerceError } from "../core/errors.ts";

/**
 * Custom field names (`format.transform`): a JSONata expression, declarative and without access
 * to anything but its input, applied to the event document. It is tenant-supplied code, so it runs
 * in a transform process (transform-pool.ts), never on the event loop, within hard limits: it is
 * stopped after TRANSFORM_TIMEOUT_MS of evaluation (between JSONata steps; a single step that runs
 * on is stopped by killing its process TRANSFORM_KILL_GRACE_MS later), nests at most
 * TRANSFORM_MAX_DEPTH evaluations, has TRANSFORM_MEMORY_MB of heap, and its result must serialise
 * to at most `maxBytes`. Any of these ends in a TransformError: that endpoint's failure (errorClass
 * `transform`), nobody else's delay.
 */
export { TRANSFORM_MAX_DEPTH, TRANSFORM_TIMEOUT_MS };
export const MAX_TRANSFORM_LENGTH = 10_000;
/** Added to TRANSFORM_TIMEOUT_MS before a run's process is killed: message passing, GC, a busy host. */
export const TRANSFORM_KILL_GRACE_MS = 250;
/** Heap of each transform process, in MiB. */
export const TRANSFORM_MEMORY_MB = 64;
/** Transform processes when the configuration does not say (TOCSIN_TRANSFORM_PROCESSES). */
export const DEFAULT_TRANSFORM_PROCESSES = 2;

/** A transform that compiled: its text, evaluated by the transform processes (each caches it compiled). */
export interface CompiledTransform {
  readonly expression: string;
}

export class TransformError extends Error {}

/** Checks an expression's syntax (on this thread: parsing is linear in its bounded length); a syntax error names its position. */
export function compileTransform(text: string): CompiledTransform {
  try {
    parseExpression(text);
  } catch (e) {
    throw new TransformError(coerceError(e).message);
  }
  return { expression: text };
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

let pool: TransformPool | null = null;
let poolSize = DEFAULT_TRANSFORM_PROCESSES;
let users = 0;

/** The limits and messages of the process's transform pool, for `size` processes. */
export function transformPoolOptions(size: number): TransformPoolOptions {
  return {
    size,
    killAfterMs: TRANSFORM_TIMEOUT_MS + TRANSFORM_KILL_GRACE_MS,
    memoryMb: TRANSFORM_MEMORY_MB,
    messages: {
      timeout: `the transform failed: ran longer than ${TRANSFORM_TIMEOUT_MS} ms`,
      memory: `the transform failed: used more than ${TRANSFORM_MEMORY_MB} MB of memory`,
      crashed: (how) => `the transform failed: its process ended (${how})`,
      busy: (n) => `the transform failed: ${n} transforms of this tenant are already waiting`,
    },
    failure: (message) => new TransformError(message),
  };
}

function sharedPool(): TransformPool {
  pool ??= createTransformPool(transformPoolOptions(poolSize));
  return pool;
}

/**
 * The process's transform processes, shared by the delivery worker and the API: `processes` of
 * them at most (the last call's number wins). The returned function releases this use; the
 * processes end when every use is released. Without any use (tests, tools), runTransform starts
 * DEFAULT_TRANSFORM_PROCESSES on demand; idle, they never keep the process alive.
 */
export function useTransformProcesses(processes: number): () => Promise<void> {
  users++;
  poolSize = processes;
  pool?.resize(processes);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--users > 0 || !pool) return;
    const p = pool;
    pool = null;
    await p.close();
  };
}

/**
 * Runs a transform and returns the JSON text of its result; throws TransformError on any failure.
 * The transform sees plain numbers. With `payloadText` (the JSON text of `input.payload`, which is
 * then not sent: the transform process parses the text), every object or array of the payload that
 * the result carries over unchanged is written from that text, so its numbers keep their source
 * form (`0.00` stays `0.00`); numbers the expression picks out one by one or computes are plain.
 */
export async function runTransform(t: CompiledTransform, input: TransformInput, maxBytes: number, payloadText?: string): Promise<string> {
  const { payload, ...doc } = input;
  return sharedPool().run({
    tenant: input.tenant,
    expression: t.expression,
    input: payloadText === undefined ? { ...doc, payload } : doc,
    ...(payloadText !== undefined ? { payloadText } : {}),
    maxBytes,
  });
}
