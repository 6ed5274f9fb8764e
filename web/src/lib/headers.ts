/**
 * The headers field takes the vendors' `X-A: 1, X-B: 2` list (or one header per line), parsed
 * exactly as the CLI's `--headers` does, so the console and `tocsin endpoint add` agree.
 */
import { parseHeaderList } from "@tocsin/client";

export { parseHeaderList };

/**
 * Writes headers back as a list that `parseHeaderList` reads to the same object: `A: 1, B: 2`,
 * or one header a line when a value holds a comma (which could otherwise start a new entry).
 */
export function formatHeaderList(headers: Record<string, string>): string {
  const entries = Object.entries(headers);
  const multiline = entries.some(([, v]) => v.includes(","));
  return entries.map(([k, v]) => `${k}: ${v}`).join(multiline ? "\n" : ", ");
}

/** The parsed list, or the parser's message naming the bad entry. */
export function tryParseHeaderList(text: string): { headers: Record<string, string> } | { error: string } {
  try {
    return { headers: parseHeaderList(text) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
