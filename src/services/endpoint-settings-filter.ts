// An endpoint's filter (`filter`), checked on save: see core/filter.ts for the syntax and limits.
import { type FilterDoc, checkFilter } from "../core/filter.ts";

/**
 * `filter` after the patch: a PATCH's filter replaces the stored one whole (merging two filters
 * member by member would AND conditions nobody wrote), and null clears it.
 */
export function checkFilterSetting(v: unknown): FilterDoc | null {
  if (v === null || v === undefined) return null;
  return checkFilter(v, "/filter");
}
