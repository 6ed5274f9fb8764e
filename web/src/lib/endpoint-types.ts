/**
 * Which catalog types an endpoint receives, for the Test and Preview pickers. The same rule as the
 * server's (src/core/event-types.ts, which the console cannot import): a name matches itself,
 * `alert.*` matches `alert.x` and deeper but not `alert`, and `*` matches every type except
 * Tocsin's own `tocsin.*`, which must be named.
 */
export function receivesType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => {
    if (p === type) return true;
    if (p === "*") return !type.startsWith("tocsin.");
    return p.endsWith(".*") && type.length > p.length - 1 && type.startsWith(p.slice(0, -1));
  });
}

/** The catalog types `patterns` receives, in catalog order. */
export function subscribedTypes(patterns: readonly string[], catalog: readonly string[]): string[] {
  return catalog.filter((t) => receivesType(patterns, t));
}
