/**
 * Event-type matching for an endpoint's `eventTypes` list:
 * - a name matches itself;
 * - `alert.*` matches `alert.x` and `alert.x.y` (not `alert` itself);
 * - `*` matches everything except Tocsin's own operational types (`tocsin.*`), which must be named.
 * An empty list receives nothing.
 */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  for (const p of patterns) {
    if (p === type) return true;
    if (p === "*") {
      if (!type.startsWith("tocsin.")) return true;
      continue;
    }
    if (p.endsWith(".*") && type.length > p.length - 1 && type.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

/** Event type names: dot-separated segments of letters, digits, `_` and `-`. */
export const EVENT_TYPE_NAME = "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$";
/** A pattern in an endpoint's eventTypes: a name, a name followed by `.*`, or `*`. */
export const EVENT_TYPE_PATTERN = "^(\\*|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?)$";
