import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serializePath } from "../../../../packages/client/src/index.ts";

const ALERT = "/v1/tenants/{tenant}/alerts/{fingerprint}";

describe("client path parameters", () => {
  it("percent-encodes a fingerprint as one path segment: space, / ? # %, non-ASCII and emoji", () => {
    const cases: [string, string][] = [
      ["1.2.3.4 7.8.9.10", "1.2.3.4%207.8.9.10"],
      ["a/b", "a%2Fb"],
      ["a?b", "a%3Fb"],
      ["a#b", "a%23b"],
      ["100%", "100%25"],
      ["a%2Fb", "a%252Fb"],
      ["ü", "%C3%BC"],
      ["u\u0308", "u%CC%88"],
      ["🔥", "%F0%9F%94%A5"],
      ["$&{tenant}", "%24%26%7Btenant%7D"],
      ["...", "..."],
    ];
    for (const [fingerprint, segment] of cases) {
      assert.equal(serializePath(ALERT, { tenant: "acme", fingerprint }), `/v1/tenants/acme/alerts/${segment}`, JSON.stringify(fingerprint));
    }
  });

  it("refuses . and .. before sending, which URLs would fold away", () => {
    for (const fingerprint of [".", ".."]) assert.throws(() => serializePath(ALERT, { tenant: "acme", fingerprint }), /may not be/);
  });
});
