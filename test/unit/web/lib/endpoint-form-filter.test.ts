import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { minimalEndpoint } from "./endpoint-fixture.ts";

// The console's Filter field (JSON text) and the endpoint's filter.

const FILTER = { "payload.severity": { $in: ["high", "critical"] }, "payload.asset.env": "prod" };
const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), url: "https://h.example/a", eventTypes: "leak", ...over });

describe("web console: endpoint form, filter", () => {
  it("is blank in a new form and sent on create only when given, as the JSON typed", () => {
    assert.equal(newEndpointForm().filter, "");
    assert.equal(formToCreate(form({})).body?.filter, undefined);
    assert.deepEqual(formToCreate(form({ filter: JSON.stringify(FILTER) })).body?.filter, FILTER);
  });

  it("names text that is not a JSON object under the field, before anything is sent", () => {
    assert.match(formToCreate(form({ filter: '{"payload.a": ' })).errors?.filter ?? "", /^must be JSON/);
    assert.match(formToCreate(form({ filter: '["payload.a"]' })).errors?.filter ?? "", /must be a JSON object of conditions/);
    assert.match(formToCreate(form({ filter: "null" })).errors?.filter ?? "", /must be a JSON object of conditions/);
  });

  it("fills from the endpoint, patches only a changed filter, whole, and null when blanked", () => {
    const ep = { ...minimalEndpoint(), filter: FILTER } as unknown as Endpoint;
    const f = endpointToForm(ep);
    assert.deepEqual(JSON.parse(f.filter), FILTER);
    assert.equal(formToPatch(ep, f).body?.filter, undefined, "unchanged: not in the patch");
    assert.equal(formToPatch(ep, { ...f, filter: JSON.stringify(FILTER) }).body?.filter, undefined, "the same filter written on one line");
    const other = { type: { $prefix: "alert." } };
    assert.deepEqual(formToPatch(ep, { ...f, filter: JSON.stringify(other) }).body?.filter, other);
    assert.equal(formToPatch(ep, { ...f, filter: "  " }).body?.filter, null);
    const none = { ...minimalEndpoint(), filter: null } as unknown as Endpoint;
    assert.equal(endpointToForm(none).filter, "");
    assert.equal(formToPatch(none, endpointToForm(none)).body?.filter, undefined);
  });

  it("puts the server's /filter errors, at any depth, under the field", () => {
    assert.equal(fieldForPath("/filter"), "filter");
    assert.equal(fieldForPath("/filter/$and/1/payload.score/$gt"), "filter");
  });
});
