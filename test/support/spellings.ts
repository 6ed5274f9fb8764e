// Ways one request path can be written that a router, a proxy or a client library may read as
// the same path, or as another: percent-encoded letters and digits, `%2f`, upper case, dot
// segments, doubled and trailing slashes, `;`, `?`, `#`. Shared by the route-spelling test and
// the fuzz campaign.

/** Percent-encodes one character (upper-case hex, or lower-case with `lower`). */
const esc = (ch: string, lower = false) => {
  const hex = ch.charCodeAt(0).toString(16).padStart(2, "0");
  return `%${lower ? hex : hex.toUpperCase()}`;
};

/**
 * The spellings of one canonical path (`/v1/tenants/acme/endpoints/ep_1`). Each is a name and the
 * request target; the literal segments are those of the route template, the rest are values.
 */
export function spellingsOf(path: string, literal: (segment: number) => boolean): [string, string][] {
  const segs = path.split("/").slice(1);
  const join = (xs: string[]) => `/${xs.join("/")}`;
  const mapLiterals = (f: (s: string) => string) => join(segs.map((s, i) => (literal(i) && s !== "" ? f(s) : s)));
  const out: [string, string][] = [
    // Percent-encoded letters and digits of the fixed segments: `/v%31/…`, `/%761/…`, `/%76%31/…`.
    ["first character encoded", mapLiterals((s) => esc(s[0]) + s.slice(1))],
    ["last character encoded", mapLiterals((s) => s.slice(0, -1) + esc(s.at(-1)!))],
    ["every character encoded", mapLiterals((s) => [...s].map((c) => esc(c)).join(""))],
    ["every character encoded, lower-case hex", mapLiterals((s) => [...s].map((c) => esc(c, true)).join(""))],
    ["values encoded too", join(segs.map((s) => [...s].map((c) => esc(c)).join("")))],
    ["upper case", mapLiterals((s) => s.toUpperCase())],
    ["upper-case first segment", join([segs[0].toUpperCase(), ...segs.slice(1)])],
    // Slashes: encoded, doubled, leading, trailing.
    ["%2f between the first two segments", `/${segs[0]}%2f${segs.slice(1).join("/")}`],
    ["%2F between the last two segments", `${join(segs.slice(0, -1))}%2F${segs.at(-1)}`],
    ["doubled slash inside", join([segs[0], "", ...segs.slice(1)])],
    ["leading doubled slash", `/${join(segs)}`],
    ["trailing slash", `${path}/`],
    ["two trailing slashes", `${path}//`],
    // Dot segments, plain and encoded: a server or proxy that folds them reaches another route.
    ["./ inside", join([segs[0], ".", ...segs.slice(1)])],
    ["../ back to the same path", join([segs[0], "x", "..", ...segs.slice(1)])],
    ["%2e%2e/ back to the same path", join([segs[0], "x", "%2e%2e", ...segs.slice(1)])],
    ["%2E/ inside", join([segs[0], "%2E", ...segs.slice(1)])],
    ["/.. at the end", `${path}/..`],
    ["/%2e%2e at the end", `${path}/%2e%2e`],
    // Delimiters some servers treat specially.
    [";param on the first segment", join([`${segs[0]};x=1`, ...segs.slice(1)])],
    ["; at the end", `${path};`],
    [";x at the end", `${path};x`],
    ["empty query", `${path}?`],
    ["%3f at the end", `${path}%3f`],
    ["%3F and a query", `${path}%3Fx=1`],
    ["fragment", `${path}#x`],
    ["%23 at the end", `${path}%23`],
    ["NUL escape at the end", `${path}%00`],
  ];
  return out;
}

/** How many spellings spellingsOf gives for any path. */
export const SPELLING_COUNT = spellingsOf("/v1/x", () => true).length;
