// Pages of a list: what the caller asks for and what comes back, with the cursor between them.
// Its own module so that the store's parts (replays.ts, crud.ts) and its interface (store.ts) can
// all use it without importing one another.

export interface Page {
  limit: number;
  /** Opaque position returned as `nextCursor` by the previous page. */
  cursor: string | null;
}

export interface PageResult<T> {
  data: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string | null): string | null {
  if (cursor === null) return null;
  return Buffer.from(cursor, "base64url").toString("utf8");
}
