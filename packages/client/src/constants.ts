import type { components } from "./schema.ts";

// Values of the API that a client needs at run time, not only as types. The generated schema.ts
// holds types alone; test/e2e/client.test.ts checks each of these against the served document.

/** What an event-type filter may be (`eventTypes` of an endpoint, `eventType` of the delivery log): a name, `prefix.*` or `*`. */
export const EVENT_TYPE_PATTERN = "^(\\*|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?)$";

/** A delivery's status, in the order of its life (suppressed: not sent on purpose, with a `reason`). */
export type DeliveryStatus = components["schemas"]["DeliveryStatus"];
export const DELIVERY_STATUSES = ["pending", "delivering", "succeeded", "failed", "cancelled", "suppressed"] as const satisfies readonly DeliveryStatus[];

/** The outcomes delivery statistics count (`GET …/stats/deliveries`): `waiting` is pending or delivering. */
export type Outcome = keyof components["schemas"]["OutcomeCounts"];
export const OUTCOMES = ["succeeded", "failed", "waiting", "cancelled", "suppressed"] as const satisfies readonly Outcome[];
