import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { minimalEndpoint } from "./endpoint-fixture.ts";

// The console's "Propagate trace context" checkbox and tracing.propagate.

const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), url: "https://h.example/a", eventTypes: "leak", ...over });

describe("web console: endpoint form, trace propagation", () => {
  it("is off in a new form and sent on create only when ticked", () => {
    assert.equal(newEndpointForm().propagateTrace, false);
    assert.equal(formToCreate(form({})).body?.tracing, undefined);
    assert.deepEqual(formToCreate(form({ propagateTrace: true })).body?.tracing, { propagate: true });
  });

  it("fills from the endpoint and patches only when changed", () => {
    const ep = { ...minimalEndpoint(), tracing: { propagate: true } } as Endpoint;
    const f = endpointToForm(ep);
    assert.equal(f.propagateTrace, true);
    assert.equal(formToPatch(ep, f).body?.tracing, undefined, "unchanged: not in the patch");
    assert.deepEqual(formToPatch(ep, { ...f, propagateTrace: false }).body?.tracing, { propagate: false });
  });

  it("puts the server's /tracing errors under the checkbox", () => {
    assert.equal(fieldForPath("/tracing/propagate"), "propagateTrace");
  });
});
