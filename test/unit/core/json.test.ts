import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRawJson, parseJsonKeepingSource } from "../../../src/core/json.ts";

const roundTrip = (text: string) => JSON.stringify(parseJsonKeepingSource(text));

describe("parseJsonKeepingSource", () => {
  it("keeps a number's trailing zeros, as in 0.00 and 0.10", () => {
    assert.equal(roundTrip("0.00"), "0.00");
    assert.equal(roundTrip('{"price":0.10}'), '{"price":0.10}');
  });

  it("keeps integers beyond 2^53 exactly", () => {
    assert.equal(roundTrip("12345678901234567890"), "12345678901234567890");
    assert.equal(roundTrip('{"id":9007199254740993}'), '{"id":9007199254740993}');
    assert.equal(roundTrip("-98765432109876543210987654321"), "-98765432109876543210987654321");
  });

  it("keeps numbers that overflow or underflow a double, such as 1e400 and 1E-400", () => {
    assert.equal(roundTrip("1e400"), "1e400");
    assert.equal(roundTrip("-1e400"), "-1e400");
    assert.equal(roundTrip("1E-400"), "1E-400");
  });

  it("keeps -0 and exponent spellings such as 1.0E+2", () => {
    assert.equal(roundTrip("-0"), "-0");
    assert.equal(roundTrip("1.0E+2"), "1.0E+2");
    assert.equal(roundTrip("[1e2,1E2,1e+2,1e-2,100]"), "[1e2,1E2,1e+2,1e-2,100]");
  });

  it("keeps the source of strings with escapes such as \\u00e9 and \\/", () => {
    assert.equal(roundTrip('"\\u00e9"'), '"\\u00e9"');
    assert.equal(roundTrip('"\\/"'), '"\\/"');
    assert.equal(roundTrip('"a\\"b\\\\c\\n\\t\\ud83d\\udd14"'), '"a\\"b\\\\c\\n\\t\\ud83d\\udd14"');
    assert.equal(roundTrip('"\\ud800"'), '"\\ud800"');
  });

  it("returns plain strings for strings without escapes", () => {
    const v = parseJsonKeepingSource('{"s":"héllo"}') as { s: unknown };
    assert.equal(v.s, "héllo");
    assert.equal(roundTrip('"héllo 🔔"'), '"héllo 🔔"');
  });

  it("wraps numbers in raw JSON objects and leaves booleans and null alone", () => {
    const v = parseJsonKeepingSource('{"n":1,"t":true,"f":false,"z":null}') as Record<string, unknown>;
    assert.equal(isRawJson(v.n), true);
    assert.equal(v.t, true);
    assert.equal(v.f, false);
    assert.equal(v.z, null);
    assert.equal(isRawJson(v.t), false);
  });

  it("reproduces nested arrays and objects with every kept value in place", () => {
    const text = '{"a":[0.10,{"b":1.0E+2,"c":["\\u00e9",[-0,[12345678901234567890]]]}],"d":{"e":{"f":{}}},"g":[]}';
    assert.equal(roundTrip(text), text);
  });

  it("removes insignificant whitespace", () => {
    const text = ' \n{ "a" : [ 1 , 2.50 ,\t{ "b" : "x y" } ] ,\r\n "c" : null }\n ';
    assert.equal(roundTrip(text), '{"a":[1,2.50,{"b":"x y"}],"c":null}');
  });

  it("produces JSON equal in meaning to the input when object keys contain escapes", () => {
    const text = '{"\\u00e9":1,"a\\/b":{"\\n":0.50}}';
    assert.deepEqual(JSON.parse(roundTrip(text)), JSON.parse(text));
  });

  it("keeps a __proto__ key as data without changing the result's prototype", () => {
    const v = parseJsonKeepingSource('{"__proto__":{"x":1}}') as object;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(roundTrip('{"__proto__":{"x":1}}'), '{"__proto__":{"x":1}}');
  });

  it("throws a SyntaxError on invalid JSON", () => {
    for (const bad of ["", "01", "1.", ".5", "+1", "NaN", "{a:1}", "[1,]", "'x'", '"\\x"']) {
      assert.throws(() => parseJsonKeepingSource(bad), SyntaxError, JSON.stringify(bad));
    }
  });
});

describe("isRawJson", () => {
  it("is true only for JSON.rawJSON wrappers", () => {
    assert.equal(isRawJson(JSON.rawJSON("1")), true);
    assert.equal(isRawJson({ rawJSON: "1" }), false);
    assert.equal(isRawJson(1), false);
    assert.equal(isRawJson("1"), false);
    assert.equal(isRawJson(null), false);
  });
});
