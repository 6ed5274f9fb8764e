import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { minimalEndpoint } from "./endpoint-fixture.ts";

// The console's "Fallback webhook" choice and fallbackEndpointId.

const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), url: "https://h.example/a", eventTypes: "leak", ...over });

describe("web console: endpoint form, fallback webhook", () => {
  it("is none in a new form and sent on create only when chosen", () => {
    assert.equal(newEndpointForm().fallbackEndpointId, "");
    assert.equal(formToCreate(form({})).body?.fallbackEndpointId, undefined);
    assert.equal(formToCreate(form({ fallbackEndpointId: "ep_2" })).body?.fallbackEndpointId, "ep_2");
  });

  it("fills from the endpoint and patches only when changed", () => {
    const ep = { ...minimalEndpoint(), tracing: { propagate: false }, fallbackEndpointId: "ep_2" } as Endpoint;
    const f = endpointToForm(ep);
    assert.equal(f.fallbackEndpointId, "ep_2");
    assert.equal(formToPatch(ep, f).body?.fallbackEndpointId, undefined, "unchanged: not in the patch");
    assert.equal(formToPatch(ep, { ...f, fallbackEndpointId: "ep_3" }).body?.fallbackEndpointId, "ep_3");
    assert.equal(formToPatch(ep, { ...f, fallbackEndpointId: "" }).body?.fallbackEndpointId, null, "none: null clears it");
  });

  it("puts the server's /fallbackEndpointId errors under the choice", () => {
    assert.equal(fieldForPath("/fallbackEndpointId"), "fallbackEndpointId");
  });
});
