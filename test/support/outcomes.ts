import { newId } from "../../src/core/ids.ts";
import type { ClaimedDelivery, DeliveryOutcome } from "../../src/core/types.ts";

/**
 * The outcome a worker would record for one attempt of `c` that ended in `status` at `at`: 200 for
 * a success, 500 otherwise, retried at `next` when pending.
 */
export function outcomeOf(c: ClaimedDelivery, status: DeliveryOutcome["status"], next: number | null, at: number): DeliveryOutcome {
  return {
    deliveryId: c.id,
    endpointId: c.endpointId,
    status,
    nextAttemptAt: next,
    disableEndpoint: null,
    attempt: {
      id: newId("att"),
      deliveryId: c.id,
      batchId: null,
      tenantId: c.tenantId,
      endpointId: c.endpointId,
      sentToEndpointId: null,
      eventId: c.eventId,
      attemptNo: c.attempts + 1,
      startedAt: at,
      durationMs: 3,
      statusCode: status === "succeeded" ? 200 : 500,
      errorClass: status === "succeeded" ? null : "http_status",
      errorMessage: null,
      request: { method: "POST", url: "http://127.0.0.1:9/hook", headers: { "webhook-id": "evt_x" }, body: "{}", bodyBytes: 2 },
      responseHeaders: {},
      responseBody: "",
      willRetry: status === "pending",
      nextAttemptAt: next,
    },
  };
}
