import { idFloor } from "../core/ids.ts";
import type { Param } from "./sql.ts";

/**
 * WHERE conditions (with their parameters, in order) for deliveries created in [since, until).
 * Delivery ids are ULIDs minted at creation: never before created_at, and at most 1 s after it
 * when the clock steps back. So the range is first a primary-key range, which the (tenant_id, id)
 * and (tenant_id, endpoint_id, id) indexes serve, and then an exact check on created_at.
 */
export function createdBetween(since: number | undefined, until: number | undefined): { where: string[]; params: Param[] } {
  const where: string[] = [];
  const params: Param[] = [];
  if (since !== undefined) {
    where.push("id >= ?", "created_at >= ?");
    params.push(idFloor("dlv", since), since);
  }
  if (until !== undefined) {
    where.push("id < ?", "created_at < ?");
    params.push(idFloor("dlv", until + 1001), until);
  }
  return { where, params };
}

/**
 * Adds the WHERE condition (and its parameters) for deliveries of an event-type pattern: a name,
 * `prefix.*`, or `*` (no condition). substr rather than LIKE: `_` in a type name is a LIKE
 * wildcard, and both dialects have substr.
 */
export function eventTypeMatching(pattern: string | null | undefined, where: string[], params: Param[]): void {
  if (pattern === null || pattern === undefined || pattern === "*") return;
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -1);
    where.push("substr(event_type, 1, ?) = ?");
    params.push(prefix.length, prefix);
  } else {
    where.push("event_type = ?");
    params.push(pattern);
  }
}
