import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { findInvalidUtf8 } from "../../../src/core/utf8.ts";

const strict = new TextDecoder("utf-8", { fatal: true });
const decodes = (b: Uint8Array) => {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
};

describe("findInvalidUtf8", () => {
  it("agrees with a strict decoder on random bytes, and everything before the offset it names is UTF-8", () => {
    // Bytes biased towards the lead and continuation ranges, so that many are nearly valid.
    const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 24 }), (arr) => {
        const bytes = Uint8Array.from(arr);
        const found = findInvalidUtf8(bytes);
        assert.equal(found === null, decodes(bytes));
        if (found) {
          assert.ok(decodes(bytes.subarray(0, found.offset)), `prefix before ${found.offset} of ${arr}`);
          assert.equal(found.byte, bytes[found.offset]);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("names the start of each kind of bad sequence", () => {
    const cases: [number[], number, RegExp][] = [
      [[0x61, 0xff], 1, /never occurs/],
      [[0x61, 0x80], 1, /continuation/],
      [[0x61, 0xc3], 1, /cut short/],
      [[0xc3, 0xa9, 0xc0, 0xaf], 2, /never occurs/],
      [[0xed, 0xa0, 0x80], 0, /not a valid/],
      [[0xf4, 0x90, 0x80, 0x80], 0, /not a valid/],
      [[0xe0, 0x80, 0x80], 0, /not a valid/],
    ];
    for (const [arr, offset, reason] of cases) {
      const found = findInvalidUtf8(Uint8Array.from(arr));
      assert.equal(found?.offset, offset, String(arr));
      assert.match(found?.reason ?? "", reason, String(arr));
    }
    assert.equal(findInvalidUtf8(Buffer.from("plain, é, 🔔, \u{10ffff}", "utf8")), null);
  });
});
