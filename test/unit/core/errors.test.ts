import assert from "node:assert/strict";
import { it } from "node:test";
import jsonata from "jsonata";
import { coerceError } from "../../../src/core/errors.ts";

it("coerceError keeps an Error, takes an error-like object's message, and describes anything else", async () => {
  const e = new TypeError("bad");
  assert.equal(coerceError(e), e);
  // JSONata throws plain objects, not Errors: their message is what a caller shows.
  const thrown: unknown = await jsonata("$undefinedFunction()")
    .evaluate({})
    .then(
      () => null,
      (x: unknown) => x,
    );
  assert.ok(thrown !== null && !(thrown instanceof Error), "JSONata's error is a plain object");
  assert.match(coerceError(thrown).message, /undefinedFunction|not a function|function/i);
  assert.equal(coerceError("text").message, "text");
  assert.equal(coerceError({ code: 7 }).message, '{"code":7}');
  assert.equal(coerceError(undefined).message, "undefined");
});
