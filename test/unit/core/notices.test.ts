import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CompletionFacts, type EndpointFacts, collectNotices, exhaustedByDelivery, hasNotices, noticeEvents } from "../../../src/core/notices.ts";
import type { DeliveryOutcome } from "../../../src/core/types.ts";

const T0 = 1_700_000_000_000;
const ep: EndpointFacts = { id: "ep_1", tenantId: "acme", name: "hook", url: "https://example.com/in?token=secret" };

function failed(id: string, opts: { gone?: boolean; batchMembers?: string[] } = {}): DeliveryOutcome {
  return {
    deliveryId: id,
    endpointId: ep.id,
    status: "failed",
    nextAttemptAt: null,
    disableEndpoint: opts.gone ? "gone" : null,
    memberIds: opts.batchMembers,
    attempt: {
      id: `att_${id}`,
      deliveryId: id,
      batchId: null,
      tenantId: "acme",
      endpointId: ep.id,
      eventId: `evt_${id}`,
      attemptNo: 5,
      startedAt: T0,
      durationMs: 3,
      statusCode: opts.gone ? 410 : 500,
      errorClass: "http_status",
      errorMessage: null,
      request: null,
      responseHeaders: {},
      responseBody: "",
      willRetry: false,
      nextAttemptAt: null,
    },
  } as DeliveryOutcome;
}

function facts(over: Partial<CompletionFacts>): CompletionFacts {
  return { changes: [], disabledFailing: new Set(), gone: [], exhausted: new Map(), exhaustedRows: [], endpoints: new Map([[ep.id, ep]]), now: T0, ...over };
}

describe("operational notices of a completion", () => {
  it("has nothing to announce when every delivery succeeded", () => {
    assert.equal(hasNotices([], [], new Map()), false);
    assert.deepEqual(collectNotices(facts({})), []);
  });

  it("announces a 410 as the endpoint disabled for being gone, without the URL's query", () => {
    const [n] = collectNotices(facts({ gone: [failed("dlv_1", { gone: true })] }));
    assert.equal(n.type, "tocsin.endpoint.disabled");
    assert.equal(n.payload.reason, "gone");
    assert.deepEqual(n.payload.endpoint, { id: "ep_1", name: "hook", url: "https://example.com/in" });
  });

  it("announces each member of an exhausted batch, but never an operational event's own delivery", () => {
    const exhausted = exhaustedByDelivery([failed("dlv_b", { batchMembers: ["dlv_2", "dlv_3"] })]);
    assert.deepEqual([...exhausted.keys()], ["dlv_2", "dlv_3"]);
    const notices = collectNotices(
      facts({
        exhausted,
        exhaustedRows: [
          { id: "dlv_2", eventId: "evt_2", eventType: "db.down", endpointId: ep.id },
          { id: "dlv_3", eventId: "evt_3", eventType: "tocsin.endpoint.failing", endpointId: ep.id },
        ],
      }),
    );
    assert.deepEqual(
      notices.map((n) => [n.type, (n.payload.delivery as { id: string }).id]),
      [["tocsin.delivery.exhausted", "dlv_2"]],
    );
  });

  it("sends each notice to its tenant and a copy to the operator's tenant", () => {
    const notices = collectNotices(facts({ gone: [failed("dlv_1", { gone: true })] }));
    const byTenant = noticeEvents(notices, "ops", T0);
    assert.deepEqual([...byTenant.keys()], ["acme", "ops"]);
    const [mine] = byTenant.get("acme")!;
    assert.equal(mine.severity, "critical");
    assert.equal(mine.idempotencyKey, null);
    assert.deepEqual(JSON.parse(mine.payload), notices[0].payload);
    assert.deepEqual([...noticeEvents(notices, "acme", T0).keys()], ["acme"]);
  });
});
