import { Type } from "typebox";
import { component } from "./component.ts";
import { Nullable } from "./common.ts";

// An endpoint's digest (docs/alerts.md#digests), and what a digest batch says of its window.
export const DigestIn = component(
  "DigestIn",
  Type.Object(
    {
      windowSec: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: 10,
            maximum: 86_400,
            description: "How long a window lasts from the event sent at once that opened it, in seconds (default 300); 10 to 86400",
          }),
        ),
      ),
      maxEvents: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: 1,
            maximum: 1000,
            description: "The most events a digest lists, the latest of its window (default 100); it counts them all. 1 to 1000",
          }),
        ),
      ),
      groupBy: Type.Optional(
        Nullable(
          Type.String({
            maxLength: 200,
            description:
              'What makes events one group: "fingerprint" (the default; events without one are not digested) or "payload.<path>", e.g. "payload.host" (events where the path is missing or null are not digested)',
          }),
        ),
      ),
    },
    {
      additionalProperties: false,
      description:
        "Per group key (an alert, or a payload value), the first event goes at once and opens a window; the others within the window are folded into one digest sent at its end, which lists the latest maxEvents and counts them all. null: none.",
    },
  ),
);
export const DigestOut = component("DigestOut", Type.Object({ windowSec: Type.Integer(), maxEvents: Type.Integer(), groupBy: Type.String() }));
export const DigestInfoOut = component(
  "DigestInfoOut",
  Type.Object(
    {
      groupBy: Type.String(),
      key: Type.String({ description: "The group key: the fingerprint, or the payload value's text (SHA-256 of it past 200 characters)" }),
      count: Type.Integer({ description: "Events folded in the window, those the digest lists (the batch's size) and those it does not" }),
      windowStart: Type.String({ format: "date-time" }),
      windowEnd: Type.String({ format: "date-time" }),
    },
    { description: "For a digest (dig_ id): its window and how many events it folded; null for a batch that batching formed" },
  ),
);
