// Pieces the CRUD method groups share: a page of rows, `?` lists, and cancelling deliveries.
import type { Row } from "./sql.ts";
import { type PageResult, encodeCursor } from "./store.ts";

export function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => string): PageResult<T> {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  const data = (rows.length > limit ? rows.slice(0, limit) : rows).map(map);
  return { data, nextCursor: last ? encodeCursor(key(last)) : null };
}

export const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

export const CANCEL = `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ?
  WHERE status IN ('pending', 'delivering') AND`;
