import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHeader, parseHeaderList } from "../../../../packages/client/src/index.ts";

describe("cli header list (--headers)", () => {
  it("splits the vendors' comma-separated form and trims names and values", () => {
    assert.deepEqual(parseHeaderList("X-A: 1, X-B: 2"), { "X-A": "1", "X-B": "2" });
    assert.deepEqual(parseHeaderList("  X-A:1 ,X-B:   two words  "), { "X-A": "1", "X-B": "two words" });
    assert.deepEqual(parseHeaderList("X-Only: v"), { "X-Only": "v" });
    assert.deepEqual(parseHeaderList("X-Empty:, X-B: 2"), { "X-Empty": "", "X-B": "2" });
  });

  it("keeps a comma in the value unless a header name and a colon follow it", () => {
    assert.deepEqual(parseHeaderList("Accept: text/html, application/json, X-B: 2"), { Accept: "text/html, application/json", "X-B": "2" });
    assert.deepEqual(parseHeaderList("X-Tags: a, b, c"), { "X-Tags": "a, b, c" });
    assert.deepEqual(parseHeaderList("X-List: a,b"), { "X-List": "a,b" });
    // A space before the colon means it is not a header name (HTTP allows none there).
    assert.deepEqual(parseHeaderList("X-Note: see, then : x"), { "X-Note": "see, then : x" });
    // A colon followed by // is a URL, not a header.
    assert.deepEqual(parseHeaderList("Link: <https://a.example>, https://b.example/x, X-B: 2"), {
      Link: "<https://a.example>, https://b.example/x",
      "X-B": "2",
    });
    // The value may itself hold colons.
    assert.deepEqual(parseHeaderList("X-Time: 12:30:00, X-B: 2"), { "X-Time": "12:30:00", "X-B": "2" });
    // Documented limit: ", word:" in a value starts a new header.
    assert.deepEqual(parseHeaderList("X-Scopes: read, write:all"), { "X-Scopes": "read", write: "all" });
  });

  it("takes one header per line too, skipping blank lines, and drops a comma that ends a line", () => {
    assert.deepEqual(parseHeaderList("X-A: 1\nX-B: 2, 3\r\n\n  X-C: c,\n"), { "X-A": "1", "X-B": "2, 3", "X-C": "c" });
    assert.deepEqual(parseHeaderList("X-A: 1, X-B: 2,"), { "X-A": "1", "X-B": "2" });
  });

  it("gives {} for blank text", () => {
    assert.deepEqual(parseHeaderList(""), {});
    assert.deepEqual(parseHeaderList("  \n "), {});
  });

  it("throws a clear error on a missing colon, an empty or invalid name, or a name given twice", () => {
    assert.throws(() => parseHeaderList("X-A 1"), /"X-A 1" is not a header: expected "Name: value" \(missing colon\)/);
    assert.throws(() => parseHeaderList("X-A 1, X-B: 2"), /"X-A 1" is not a header.*missing colon/);
    assert.throws(() => parseHeaderList("X-A: 1\nX-B"), /"X-B" is not a header/);
    assert.throws(() => parseHeaderList(": v"), /empty header name/);
    assert.throws(() => parseHeaderList("X-A: 1\n : v"), /empty header name/);
    assert.throws(() => parseHeaderList("Bad Name: v"), /"Bad Name" is not a valid header name/);
    assert.throws(() => parseHeaderList("X-Ünï: v"), /"X-Ünï" is not a valid header name/);
    assert.throws(() => parseHeaderList("X-A: 1, x-a: 2"), /header x-a is given twice \(as X-A too; header names are case-insensitive\)/);
  });

  it("parseHeader splits one header at the first colon and keeps every comma", () => {
    assert.deepEqual(parseHeader("X-Scopes: read, write:all"), ["X-Scopes", "read, write:all"]);
    assert.deepEqual(parseHeader("Authorization:Token abc"), ["Authorization", "Token abc"]);
    assert.throws(() => parseHeader("nocolon"), /missing colon/);
    assert.throws(() => parseHeader("X-A: a\u0000b"), /must not contain CR, LF or NUL/);
  });
});
