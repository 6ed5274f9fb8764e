import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHeaderList as clientParse } from "../../../../packages/client/src/index.ts";
import { formatHeaderList, parseHeaderList, tryParseHeaderList } from "../../../../web/src/lib/headers.ts";

describe("web console: the headers field", () => {
  it("uses the API client's parser, the one the CLI's --headers uses (no copy to drift)", () => {
    assert.equal(parseHeaderList, clientParse);
    assert.deepEqual(parseHeaderList("Accept: text/html, application/json, X-B: 2"), { Accept: "text/html, application/json", "X-B": "2" });
  });

  it("writes headers back as a list that parses to the same object", () => {
    const cases: Record<string, string>[] = [
      {},
      { "X-Team": "soc" },
      { "X-A": "1", "X-B": "2" },
      { Accept: "text/html, application/json", "X-B": "2" },
      { "X-Time": "12:30:00", "X-Url": "https://a.example/x" },
    ];
    for (const headers of cases) assert.deepEqual(parseHeaderList(formatHeaderList(headers)), headers);
    assert.equal(formatHeaderList({ "X-A": "1", "X-B": "2" }), "X-A: 1, X-B: 2");
    assert.equal(formatHeaderList({ Accept: "a, b", "X-B": "2" }), "Accept: a, b\nX-B: 2");
  });

  it("reports the parser's message instead of throwing", () => {
    assert.deepEqual(tryParseHeaderList("X-A: 1"), { headers: { "X-A": "1" } });
    const missing = tryParseHeaderList("no colon here");
    assert.ok("error" in missing && /missing colon/.test(missing.error));
    const twice = tryParseHeaderList("X-A: 1, x-a: 2");
    assert.ok("error" in twice && /given twice/.test(twice.error));
  });
});
