import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";

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

/** The members of an endpoint document the form reads, with their defaults. */
function minimalEndpoint(): Partial<Endpoint> {
  return {
    id: "ep_1",
    tenantId: "acme",
    url: "https://h.example/a",
    name: null,
    description: null,
    method: "POST",
    headers: {},
    auth: { type: "none" } as Endpoint["auth"],
    tls: { clientCert: null, clientCertInfo: null, clientKeySet: false, ca: null, skipVerify: false },
    timeouts: { connectMs: 20000, requestMs: 15000 },
    eventTypes: ["leak"],
    minSeverity: null,
    signing: { scheme: "standard" } as Endpoint["signing"],
    validation: { mode: "none", method: "POST", status: "none", error: null, validatedAt: null },
    format: { envelope: "raw", transform: null },
    lifecycle: { ongoingIntervalSec: 300, sendResolved: true },
    batch: null,
    rateLimit: null,
    retry: null,
    proxy: null,
    filter: null,
    enabled: true,
  };
}
