import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { digestSummary } from "../../../../web/src/lib/endpoint-form-digest.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { minimalEndpoint } from "./endpoint-fixture.ts";

// The console's Digest fields and the endpoint's `digest`.

const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), url: "https://h.example/a", eventTypes: "leak", ...over });

describe("web console: endpoint form, digest", () => {
  it("is off in a new form and sent on create when ticked, blank fields as the server's defaults", () => {
    assert.equal(newEndpointForm().digesting, false);
    assert.equal(formToCreate(form({})).body?.digest, undefined);
    assert.deepEqual(formToCreate(form({ digesting: true })).body?.digest, { windowSec: null, maxEvents: null, groupBy: null });
    assert.deepEqual(formToCreate(form({ digesting: true, digestWindow: "2m", digestMaxEvents: "20", digestGroupBy: "payload.host" })).body?.digest, {
      windowSec: 120,
      maxEvents: 20,
      groupBy: "payload.host",
    });
  });

  it("catches a bad window, count or group key before asking the server", () => {
    const r = formToCreate(form({ digesting: true, digestWindow: "5s", digestMaxEvents: "0", digestGroupBy: "host" }));
    assert.deepEqual(Object.keys(r.errors ?? {}).sort(), ["digestGroupBy", "digestMaxEvents", "digestWindow"]);
  });

  it("fills from the endpoint, patches only when changed, and sends null when unticked", () => {
    const ep = { ...minimalEndpoint(), digest: { windowSec: 300, maxEvents: 100, groupBy: "fingerprint" } } as Endpoint;
    const f = endpointToForm(ep);
    assert.deepEqual([f.digesting, f.digestWindow, f.digestMaxEvents, f.digestGroupBy], [true, "5m", "100", ""]);
    assert.equal(formToPatch(ep, f).body?.digest, undefined, "unchanged: not in the patch");
    assert.deepEqual(formToPatch(ep, { ...f, digestMaxEvents: "10" }).body?.digest, { windowSec: 300, maxEvents: 10, groupBy: null });
    assert.equal(formToPatch(ep, { ...f, digesting: false }).body?.digest, null);
    assert.match(digestSummary(ep.digest), /one digest per 5m per fingerprint \(up to 100 events listed\)/);
  });

  it("puts the server's /digest errors under their fields", () => {
    assert.equal(fieldForPath("/digest/windowSec"), "digestWindow");
    assert.equal(fieldForPath("/digest/groupBy"), "digestGroupBy");
  });
});
