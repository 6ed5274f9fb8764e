/**
 * Where long text (URLs, ids, header values) may wrap: after the separators a reader expects a
 * line to end at, so a line never ends mid-word. The console puts a <wbr> between the parts.
 */
export function breakPoints(text: string): string[] {
  // After / ? & = , ; (not inside `//`), and before . _ - (`example.com`, `ep_…`); never inside a run of letters and digits.
  const parts = text.split(/(?<=[/?&=,;])(?![/?&=,;])|(?<=[^._-])(?=[._-][^._-])/u);
  return parts.filter((p) => p !== "");
}
