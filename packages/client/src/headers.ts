/**
 * Header lists as the vendors' "Custom headers" form takes them: `X-A: 1, X-B: 2`.
 *
 * The rule: entries are separated by a newline, or by a comma that is followed (after optional
 * spaces or tabs) by a header name and a colon, as in `, X-B:`. Any other comma belongs to the
 * value, so `Accept: text/html, application/json` is one header. A colon followed by `//` does not
 * count (so `, https://…` in a value stays in the value). Whitespace around names and values is
 * trimmed, blank entries are skipped and a comma ending a line is dropped. A value that must hold
 * `, Name:` itself, or end in a comma, needs the one-header form (`parseHeader`).
 */

/** RFC 9110 token: the characters a header name may have. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SEPARATOR = /\r?\n|,(?=[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+:(?!\/\/))/;

/** One `Name: value` (split at the first colon; the value may hold anything, commas included). */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon < 0) throw new Error(`${JSON.stringify(text.trim())} is not a header: expected "Name: value" (missing colon)`);
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!name) throw new Error(`${JSON.stringify(text.trim())} has an empty header name: expected "Name: value"`);
  if (!TOKEN.test(name)) {
    throw new Error(`${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only, no spaces)`);
  }
  if (/[\r\n\0]/.test(value)) throw new Error(`the value of ${name} must not contain CR, LF or NUL`);
  return [name, value];
}

/**
 * Parses `X-A: 1, X-B: 2` (or one header per line) into name -> value. Blank text gives {}.
 * Throws an Error naming the bad entry on a missing colon, an empty or invalid name, or a name
 * given twice (header names are case-insensitive).
 */
export function parseHeaderList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const raw of text.split(SEPARATOR)) {
    const entry = raw.replace(/[ \t]*,[ \t]*$/, "");
    if (entry.trim() === "") continue;
    const [name, value] = parseHeader(entry);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new Error(`header ${name} is given twice (as ${seen.get(lower)} too; header names are case-insensitive)`);
    seen.set(lower, name);
    out[name] = value;
  }
  return out;
}
