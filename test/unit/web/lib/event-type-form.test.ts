import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  emptyEventTypeForm,
  eventTypeProblemErrors,
  eventTypeToForm,
  formToEventTypeCreate,
  formToEventTypePatch,
  parseJsonField,
} from "../../../../web/src/lib/event-type-form.ts";

const stored = { name: "alert.fired", description: "An alert", schema: { type: "object" }, example: { host: "db-1" }, createdAt: "", updatedAt: "" };

describe("web console: event-type form", () => {
  it("says where a JSON mistake is, by line and column", () => {
    const r = parseJsonField('{"a": 1,\n  "b" 2}');
    assert.ok("error" in r);
    assert.match(r.error, /^is not valid JSON at line 2, column 7/);
    assert.deepEqual(parseJsonField("  "), { value: null });
  });

  it("creates with only what is filled in, and checks the name and the JSON fields together", () => {
    assert.deepEqual(formToEventTypeCreate({ ...emptyEventTypeForm(), name: " leak " }), { body: { name: "leak" } });
    assert.deepEqual(formToEventTypeCreate({ name: "alert.fired", description: "x", schema: '{"type":"object"}', example: "{}" }), {
      body: { name: "alert.fired", description: "x", schema: { type: "object" }, example: {} },
    });
    const bad = formToEventTypeCreate({ name: "alert fired", description: "", schema: "{", example: "42" });
    assert.deepEqual(Object.keys(bad.errors ?? {}).sort(), ["name", "schema"]);
    assert.equal(formToEventTypeCreate({ ...emptyEventTypeForm(), name: "a", schema: '"text"' }).errors?.schema, "must be a JSON Schema: an object");
  });

  it("patches only what changed, and a cleared field becomes null", () => {
    const f = eventTypeToForm(stored);
    assert.deepEqual(formToEventTypePatch(stored, f), { body: {} });
    assert.deepEqual(formToEventTypePatch(stored, { ...f, description: "", example: "" }), { body: { description: null, example: null } });
    assert.deepEqual(formToEventTypePatch(stored, { ...f, schema: '{"type": "object", "required": ["host"]}' }), {
      body: { schema: { type: "object", required: ["host"] } },
    });
  });

  it("puts the API's refusals under their field, a mismatch inside the example with its place", () => {
    assert.deepEqual(eventTypeProblemErrors({ errors: [{ path: "/example/host", message: "does not match the schema: must be string" }] }), {
      example: "at /host: does not match the schema: must be string",
    });
    assert.deepEqual(eventTypeProblemErrors({ errors: [{ path: "/name", message: "already exists" }] }), { name: "already exists" });
    assert.deepEqual(eventTypeProblemErrors({ detail: "nope" }), { form: "nope" });
  });
});
