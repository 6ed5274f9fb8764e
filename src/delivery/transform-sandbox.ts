// A transform process: the entry point the transform pool forks (transform-pool.ts). It evaluates
// one transform at a time for its parent and answers with the result's JSON text or the failure's
// message. It has an empty environment and a small heap (set by the parent); the parent kills it
// when a run overstays its time, and a run that exhausts the heap ends the process, which the
// parent reports as that run's failure and replaces.

import { TransformFailure, evaluateToJson } from "./transform-eval.ts";
import { coerceError } from "../core/errors.ts";

/** What the parent sends: one run. */
export interface SandboxRequest {
  id: number;
  expression: string;
  input: Record<string, unknown>;
  payloadText?: string;
  maxBytes: number;
}

/** What the process answers: `ready` once, then one reply per request. */
export type SandboxReply = { ready: true } | { id: number; text: string } | { id: number; failure: string };

if (process.send) {
  const send = process.send.bind(process);
  // The parent went away (stopped or killed): nothing is left to answer.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: SandboxRequest) => {
    evaluateToJson(m.expression, m.input, m.maxBytes, m.payloadText).then(
      (text) => send({ id: m.id, text } satisfies SandboxReply),
      (e: unknown) =>
        send({ id: m.id, failure: e instanceof TransformFailure ? e.message : `the transform failed: ${coerceError(e).message}` } satisfies SandboxReply),
    );
  });
  send({ ready: true } satisfies SandboxReply);
}
