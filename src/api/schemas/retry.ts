import { Type } from "typebox";
import { component } from "./component.ts";
import { Nullable } from "./common.ts";

// An endpoint's retry policy (Outpost's and Svix's per-destination retries); null: the server's.
export const RetryIn = component(
  "RetryIn",
  Type.Object(
    {
      scheduleMs: Type.Optional(
        Nullable(
          Type.Array(Type.Integer({ minimum: 1, maximum: 604_800_000 }), {
            minItems: 1,
            maxItems: 49,
            description:
              "Delays in milliseconds after the 1st, 2nd, ... failed attempt (each from 1000, or the server schedule's shortest step when shorter, to 7 days; at most 30 days in all). Replaces TOCSIN_RETRY_SCHEDULE for this endpoint.",
          }),
        ),
      ),
      maxAttempts: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: 1,
            maximum: 50,
            description:
              "Attempts in all, the first included: the schedule (this one's or the server's) is cut to maxAttempts - 1 retries, or extended by repeating its last step",
          }),
        ),
      ),
      maxAgeMs: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: 1,
            maximum: 2_592_000_000,
            description:
              "No retry is scheduled later than this long after the event was created (at most 30 days). Alone, the server's schedule is followed, its last step repeated, until then; replaces TOCSIN_RETRY_BUDGET for this endpoint.",
          }),
        ),
      ),
    },
    {
      additionalProperties: false,
      description:
        "The endpoint's retry policy; null: the server's (TOCSIN_RETRY_SCHEDULE and TOCSIN_RETRY_BUDGET). With scheduleMs or maxAttempts the count ends the retries. A change applies from the next failed attempt on; a retry already scheduled keeps its time.",
    },
  ),
);
export const RetryOut = component(
  "RetryOut",
  Type.Object({
    scheduleMs: Nullable(Type.Array(Type.Integer())),
    maxAttempts: Nullable(Type.Integer()),
    maxAgeMs: Nullable(Type.Integer()),
  }),
);
