import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath } from "../../../../web/src/lib/endpoint-errors.ts";
import { type EndpointForm, endpointToForm, formToCreate, formToPatch, newEndpointForm } from "../../../../web/src/lib/endpoint-form.ts";
import { minimalEndpoint } from "./endpoint-fixture.ts";

// The console's "Damp flapping alerts" checkbox and its three fields, and the `flapping` setting.

const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), url: "https://h.example/a", eventTypes: "alert.*", ...over });

const endpoint = (flapping: Endpoint["flapping"]): Endpoint => ({ ...minimalEndpoint(), eventTypes: ["alert.*"], flapping });

describe("web console: endpoint form, flap damping", () => {
  it("is off in a new form; ticked, blank fields are sent as null for the server's defaults", () => {
    assert.equal(newEndpointForm().flapDamping, false);
    assert.equal(formToCreate(form({})).body?.flapping, undefined);
    assert.deepEqual(formToCreate(form({ flapDamping: true })).body?.flapping, { transitions: null, windowMin: null, stableSec: null });
    assert.deepEqual(formToCreate(form({ flapDamping: true, flapTransitions: "3", flapStableSec: "120" })).body?.flapping, {
      transitions: 3,
      windowMin: null,
      stableSec: 120,
    });
  });

  it("catches a value out of bounds before sending", () => {
    const r = formToCreate(form({ flapDamping: true, flapWindowMin: "2000" }));
    assert.equal(r.body, undefined);
    assert.match(r.errors?.flapWindowMin ?? "", /from 1 to 1440/);
  });

  it("fills from the endpoint, patches only a change, and null when unticked", () => {
    const ep = endpoint({ transitions: 5, windowMin: 30, stableSec: 600 });
    const f = endpointToForm(ep);
    assert.deepEqual([f.flapDamping, f.flapTransitions, f.flapWindowMin, f.flapStableSec], [true, "5", "30", "600"]);
    assert.equal(formToPatch(ep, f).body?.flapping, undefined, "unchanged: not in the patch");
    assert.deepEqual(formToPatch(ep, { ...f, flapStableSec: "60" }).body?.flapping, { transitions: 5, windowMin: 30, stableSec: 60 });
    assert.equal(formToPatch(ep, { ...f, flapDamping: false }).body?.flapping, null);
    assert.equal(formToPatch(endpoint(null), endpointToForm(endpoint(null))).body?.flapping, undefined);
  });

  it("puts the server's /flapping errors under their fields", () => {
    assert.equal(fieldForPath("/flapping/windowMin"), "flapWindowMin");
    assert.equal(fieldForPath("/flapping"), "flapDamping");
  });
});
