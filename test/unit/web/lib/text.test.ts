import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { breakPoints } from "../../../../web/src/lib/text.ts";

describe("web console: where long text may wrap", () => {
  it("breaks a URL after its separators, never inside a word or inside //", () => {
    assert.deepEqual(breakPoints("https://hooks.example.com/v1/alerts?team=soc&env=prod"), [
      "https://",
      "hooks",
      ".example",
      ".com/",
      "v1/",
      "alerts?",
      "team=",
      "soc&",
      "env=",
      "prod",
    ]);
  });

  it("keeps the text whole when joined, and words whole", () => {
    for (const t of ["ep_01HZX3Q4ABC", "http://127.0.0.1:43567/hook", "plainword", "a..b--c", "/", ""]) {
      const parts = breakPoints(t);
      assert.equal(parts.join(""), t);
      for (let i = 1; i < parts.length; i++) {
        const between = `${parts[i - 1]!.slice(-1)}${parts[i]![0]}`;
        assert.doesNotMatch(between, /^[A-Za-z0-9]{2}$/, `${t}: a break inside a word (${parts.join(" | ")})`);
      }
    }
  });
});
