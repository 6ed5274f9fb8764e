import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlertRow, FINGERPRINT_MAX_BYTES, fingerprintProblem, shouldSend, stepAlert } from "../../../src/core/alerts.ts";

const open: AlertRow = { status: "open", startedAt: 1000, endedAt: null, updateCount: 2 };
const resolved: AlertRow = { status: "resolved", startedAt: 1000, endedAt: 5000, updateCount: 3 };

describe("stepAlert", () => {
  it("start opens an unknown or resolved alert, and counts as ongoing for an open one", () => {
    assert.deepEqual(stepAlert(null, "start", 9000), {
      state: "start",
      next: { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 },
      repeatedEnd: false,
    });
    assert.deepEqual(stepAlert(resolved, "start", 9000).next, { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 });
    assert.deepEqual(stepAlert(open, "start", 9000), { state: "ongoing", next: { ...open, updateCount: 3 }, repeatedEnd: false });
  });
  it("ongoing updates an open alert and opens an unknown one, keeping its state", () => {
    assert.deepEqual(stepAlert(open, "ongoing", 9000), { state: "ongoing", next: { ...open, updateCount: 3 }, repeatedEnd: false });
    const fresh = stepAlert(null, "ongoing", 9000);
    assert.equal(fresh.state, "ongoing");
    assert.deepEqual(fresh.next, { status: "open", startedAt: 9000, endedAt: null, updateCount: 0 });
  });
  it("end resolves an open alert, is delivered once for an unknown one, and not again for a resolved one", () => {
    assert.deepEqual(stepAlert(open, "end", 9000), {
      state: "end",
      next: { status: "resolved", startedAt: 1000, endedAt: 9000, updateCount: 3 },
      repeatedEnd: false,
    });
    assert.deepEqual(stepAlert(null, "end", 9000), {
      state: "end",
      next: { status: "resolved", startedAt: 9000, endedAt: 9000, updateCount: 0 },
      repeatedEnd: false,
    });
    const again = stepAlert(resolved, "end", 9000);
    assert.equal(again.repeatedEnd, true);
    assert.equal(again.next.endedAt, 5000, "the first end's time is kept");
  });
});

describe("shouldSend", () => {
  const l = { ongoingIntervalSec: 300, sendResolved: true };
  const ongoing = stepAlert(open, "ongoing", 0);
  it("throttles ongoing to one per interval since the last update sent; 0 sends every one", () => {
    assert.equal(shouldSend(l, ongoing, 1000, 1000 + 299_999), false);
    assert.equal(shouldSend(l, ongoing, 1000, 1000 + 300_000), true);
    assert.equal(shouldSend(l, ongoing, null, 5), true, "an endpoint that never got this alert gets the update");
    assert.equal(shouldSend({ ...l, ongoingIntervalSec: 0 }, ongoing, 1000, 1000), true);
  });
  it("always sends start; sends end only with sendResolved; never a repeated end", () => {
    assert.equal(shouldSend(l, stepAlert(null, "start", 0), 1000, 1001), true);
    assert.equal(shouldSend(l, stepAlert(open, "end", 0), 1000, 1001), true);
    assert.equal(shouldSend({ ...l, sendResolved: false }, stepAlert(open, "end", 0), 1000, 1001), false);
    assert.equal(shouldSend(l, stepAlert(resolved, "end", 0), null, 1001), false);
  });
});

describe("fingerprintProblem", () => {
  it("accepts the keys vendors have: Netography's cachekey with its space, hex, any Unicode text, dots inside", () => {
    for (const key of [
      "1.2.3.4 7.8.9.10",
      "6a3f2b1c0d9e8f74",
      "alertname=HostDiskFull, instance=db-1:9100",
      "a/b?c#d%2Fe",
      "Überwachung",
      "🔥 ddos",
      "\u200b", // a format character, not a control
      "...",
      ".a",
      "a.",
      "x",
    ]) {
      assert.equal(fingerprintProblem(key), null, JSON.stringify(key));
    }
  });

  it("refuses control characters (C0, DEL, C1), naming the code point and its position in characters from 1", () => {
    assert.equal(fingerprintProblem("ab\u0007cd"), "contains a control character U+0007 at position 3");
    assert.equal(fingerprintProblem("\u0000"), "contains a control character U+0000 at position 1");
    assert.equal(fingerprintProblem("a\tb"), "contains a control character U+0009 at position 2");
    assert.equal(fingerprintProblem("a\nb"), "contains a control character U+000A at position 2");
    assert.equal(fingerprintProblem("a\u007f"), "contains a control character U+007F at position 2");
    assert.equal(fingerprintProblem("a\u0085b"), "contains a control character U+0085 at position 2");
    assert.equal(fingerprintProblem("\u0080"), "contains a control character U+0080 at position 1");
    assert.equal(fingerprintProblem("x\u009f"), "contains a control character U+009F at position 2");
    // An astral character counts as one.
    assert.equal(fingerprintProblem("🔥🔥\u0007"), "contains a control character U+0007 at position 3");
    assert.equal(fingerprintProblem("x\u00a0\u00a1"), null, "U+00A0 and U+00A1 are past C1");
  });

  it("refuses lone surrogates: a fingerprint is well-formed Unicode text", () => {
    const lone = (cp: string, at: number) => `contains a lone surrogate U+${cp} at position ${at}: a fingerprint must be well-formed Unicode text`;
    assert.equal(fingerprintProblem("\ud800"), lone("D800", 1));
    assert.equal(fingerprintProblem("ab\udc00"), lone("DC00", 3));
    assert.equal(fingerprintProblem("x\ud83d"), lone("D83D", 2), "a high surrogate at the end");
    assert.equal(fingerprintProblem("\udd25\ud83d"), lone("DD25", 1), "a pair in the wrong order");
    assert.equal(fingerprintProblem("🔥\ud83dx"), lone("D83D", 2));
  });

  it("counts the limit in UTF-8 bytes: 256 fit, 257 do not, whatever the characters", () => {
    assert.equal(FINGERPRINT_MAX_BYTES, 256);
    const fits = ["x".repeat(256), "é".repeat(128), "€".repeat(85) + "x", "🔥".repeat(64), "ü".repeat(127) + "xx"];
    for (const key of fits) assert.equal(Buffer.byteLength(key), 256);
    for (const key of fits) assert.equal(fingerprintProblem(key), null, `${key.length} UTF-16 units`);
    for (const key of ["x".repeat(257), "é".repeat(128) + "x", "🔥".repeat(64) + "x", "€".repeat(86)]) {
      const bytes = Buffer.byteLength(key);
      assert.ok(bytes > 256);
      assert.equal(fingerprintProblem(key), `is ${bytes} bytes in UTF-8; at most 256`);
    }
    // Fewer than 257 characters can be more than 256 bytes.
    assert.equal(fingerprintProblem("é".repeat(129)), "is 258 bytes in UTF-8; at most 256");
  });

  it("refuses the empty string, . and .., and white space at either end", () => {
    assert.equal(fingerprintProblem(""), "must not be empty");
    assert.equal(fingerprintProblem("."), 'must not be "." or "..", which URLs fold away as dot segments');
    assert.equal(fingerprintProblem(".."), 'must not be "." or "..", which URLs fold away as dot segments');
    const edge = (where: "begins" | "ends", cp: string) =>
      `${where} with white space (U+${cp}); leading and trailing white space is refused as a likely mistake`;
    assert.equal(fingerprintProblem(" 1.2.3.4 7.8.9.10"), edge("begins", "0020"));
    assert.equal(fingerprintProblem("1.2.3.4 7.8.9.10 "), edge("ends", "0020"));
    assert.equal(fingerprintProblem(" "), edge("begins", "0020"));
    assert.equal(fingerprintProblem("key\u3000"), edge("ends", "3000"));
    assert.equal(fingerprintProblem("\ufeffkey"), edge("begins", "FEFF"));
  });

  it("compares nothing and changes nothing: precomposed and decomposed forms are different, valid keys", () => {
    const composed = "\u00e9";
    const decomposed = "e\u0301";
    assert.notEqual(composed, decomposed);
    assert.equal(fingerprintProblem(composed), null);
    assert.equal(fingerprintProblem(decomposed), null);
  });
});
