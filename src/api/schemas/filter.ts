import { Type } from "typebox";
import { component } from "./component.ts";

// An endpoint's filter on the event's attributes and payload (core/filter.ts); null: every event it subscribes to.
export const Filter = component(
  "Filter",
  Type.Record(Type.String(), Type.Unknown(), {
    description:
      'Which of the events it subscribes to the endpoint receives, as JSON in the style of MongoDB\'s query operators. Each member is a path and a condition; all must hold. Paths: type, severity, fingerprint, state, or payload.<member>.<member>… (a number indexes an array; an absent attribute is missing). A condition is a string, number, boolean or null (equality), or an object of operators: $eq, $ne, $in, $nin (arrays of those values), $gt, $gte, $lt, $lte (numbers), $exists (true or false), $prefix (a string), $not (operators). A path whose value is an array passes when any element does. $and and $or (arrays of filters) and $not (a filter) combine filters. At most 8 levels, 64 conditions and 4096 bytes; a 400 names the exact place, e.g. /filter/$and/1/payload.score/$gt. A PATCH replaces the whole filter; null removes it. Example: {"payload.severity": {"$in": ["high", "critical"]}, "payload.asset.env": "prod"}',
  }),
);
