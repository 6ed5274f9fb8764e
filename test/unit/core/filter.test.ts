import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../../src/core/errors.ts";
import { type FilterSubject, FILTER_LIMITS, checkFilter, compileFilter, filterSubject } from "../../../src/core/filter.ts";

const alert = (payload: unknown, over: Partial<FilterSubject> = {}): FilterSubject => ({
  type: "alert.created",
  severity: "high",
  fingerprint: null,
  state: null,
  payload,
  ...over,
});

const passes = (filter: unknown, s: FilterSubject) => compileFilter(checkFilter(filter))(s);

/** The JSON Pointer a refused filter's 400 names. */
function refusedAt(filter: unknown): string {
  try {
    checkFilter(filter);
  } catch (e) {
    assert.ok(e instanceof ApiError && e.status === 400, String(e));
    return e.errors![0]!.path;
  }
  assert.fail(`accepted ${JSON.stringify(filter)}`);
}

describe("filter: the issue's example", () => {
  const f = { "payload.severity": { $in: ["high", "critical"] }, "payload.asset.env": "prod" };
  it("passes high and critical alerts of prod, and nothing else", () => {
    assert.equal(passes(f, alert({ severity: "high", asset: { env: "prod" } })), true);
    assert.equal(passes(f, alert({ severity: "critical", asset: { env: "prod" } })), true);
    assert.equal(passes(f, alert({ severity: "low", asset: { env: "prod" } })), false);
    assert.equal(passes(f, alert({ severity: "high", asset: { env: "staging" } })), false);
    assert.equal(passes(f, alert({ severity: "high" })), false, "asset missing");
    assert.equal(passes(f, alert("not an object")), false);
  });
});

describe("filter: each operator", () => {
  const p = { n: 5, s: "db-primary", b: true, z: null, tags: ["pci", "prod"], nums: [1, 20], obj: { a: 1 } };
  const s = alert(p);
  it("a bare value and $eq compare strictly (no type conversion)", () => {
    assert.equal(passes({ "payload.n": 5 }, s), true);
    assert.equal(passes({ "payload.n": "5" }, s), false);
    assert.equal(passes({ "payload.n": { $eq: 5 } }, s), true);
    assert.equal(passes({ "payload.b": true }, s), true);
    assert.equal(passes({ "payload.b": 1 }, s), false);
    assert.equal(passes({ "payload.z": null }, s), true);
    assert.equal(passes({ "payload.missing": null }, s), false, "null matches an explicit null only");
    assert.equal(passes({ "payload.obj": { $eq: 1 } }, s), false, "an object equals no scalar");
  });
  it("$ne and $nin pass a missing member, as the negation of $eq and $in", () => {
    assert.equal(passes({ "payload.n": { $ne: 5 } }, s), false);
    assert.equal(passes({ "payload.n": { $ne: 6 } }, s), true);
    assert.equal(passes({ "payload.missing": { $ne: 6 } }, s), true);
    assert.equal(passes({ "payload.s": { $nin: ["a", "b"] } }, s), true);
    assert.equal(passes({ "payload.s": { $nin: ["db-primary"] } }, s), false);
    assert.equal(passes({ "payload.missing": { $nin: ["x"] } }, s), true);
  });
  it("$in", () => {
    assert.equal(passes({ "payload.n": { $in: [1, 5] } }, s), true);
    assert.equal(passes({ "payload.n": { $in: ["5"] } }, s), false);
    assert.equal(passes({ "payload.missing": { $in: [null] } }, s), false);
  });
  it("$gt, $gte, $lt, $lte compare numbers only", () => {
    assert.equal(passes({ "payload.n": { $gt: 4 } }, s), true);
    assert.equal(passes({ "payload.n": { $gt: 5 } }, s), false);
    assert.equal(passes({ "payload.n": { $gte: 5 } }, s), true);
    assert.equal(passes({ "payload.n": { $lt: 5 } }, s), false);
    assert.equal(passes({ "payload.n": { $lte: 5 } }, s), true);
    assert.equal(passes({ "payload.n": { $gt: 1, $lt: 10 } }, s), true, "operators of one path all apply");
    assert.equal(passes({ "payload.n": { $gt: 1, $lt: 3 } }, s), false);
    assert.equal(passes({ "payload.s": { $gt: 0 } }, s), false, "a string is not greater than a number");
    assert.equal(passes({ "payload.missing": { $lt: 100 } }, s), false);
  });
  it("$exists tells a missing member from one that is present, null included", () => {
    assert.equal(passes({ "payload.z": { $exists: true } }, s), true);
    assert.equal(passes({ "payload.missing": { $exists: true } }, s), false);
    assert.equal(passes({ "payload.missing": { $exists: false } }, s), true);
    assert.equal(passes({ "payload.obj.a.deeper": { $exists: false } }, s), true, "a path through a number is missing");
  });
  it("$prefix matches strings only", () => {
    assert.equal(passes({ "payload.s": { $prefix: "db-" } }, s), true);
    assert.equal(passes({ "payload.s": { $prefix: "web-" } }, s), false);
    assert.equal(passes({ "payload.n": { $prefix: "5" } }, s), false);
  });
  it("$and, $or and $not combine filters; a path-level $not negates its operators", () => {
    assert.equal(passes({ $or: [{ "payload.n": 1 }, { "payload.s": "db-primary" }] }, s), true);
    assert.equal(passes({ $or: [{ "payload.n": 1 }, { "payload.s": "x" }] }, s), false);
    assert.equal(passes({ $and: [{ "payload.n": 5 }, { "payload.s": "db-primary" }] }, s), true);
    assert.equal(passes({ $and: [{ "payload.n": 5 }, { "payload.s": "x" }] }, s), false);
    assert.equal(passes({ $not: { "payload.n": 5 } }, s), false);
    assert.equal(passes({ $not: { "payload.n": 6 } }, s), true);
    assert.equal(passes({ "payload.n": { $not: { $gt: 10 } } }, s), true);
    assert.equal(passes({ "payload.missing": { $not: { $gt: 10 } } }, s), true);
  });
  it("arrays: a condition passes when any element passes; numbers index elements", () => {
    assert.equal(passes({ "payload.tags": "pci" }, s), true);
    assert.equal(passes({ "payload.tags": { $in: ["hipaa", "prod"] } }, s), true);
    assert.equal(passes({ "payload.tags": { $nin: ["prod"] } }, s), false);
    assert.equal(passes({ "payload.tags": { $ne: "pci" } }, s), false);
    assert.equal(passes({ "payload.nums": { $gt: 10 } }, s), true);
    assert.equal(passes({ "payload.tags.1": "prod" }, s), true);
    assert.equal(passes({ "payload.tags.2": { $exists: false } }, s), true);
    assert.equal(passes({ "payload.tags.x": { $exists: true } }, s), false);
    assert.equal(passes({ "payload.0": { $exists: true } }, alert(["a"])), true, "a payload that is an array");
  });
  it("reads the event's attributes; absent ones are missing", () => {
    assert.equal(passes({ type: { $prefix: "alert." } }, s), true);
    assert.equal(passes({ severity: { $in: ["high", "critical"] } }, s), true);
    assert.equal(passes({ fingerprint: { $exists: false } }, s), true);
    assert.equal(passes({ state: "end" }, alert(p, { fingerprint: "f1", state: "end" })), true);
    assert.equal(passes({ severity: { $exists: true } }, alert(p, { severity: null })), false);
  });
  it("member names are not inherited: payload.constructor is missing", () => {
    assert.equal(passes({ "payload.constructor": { $exists: true } }, s), false);
    assert.equal(passes({ "payload.s.length": { $exists: true } }, s), false);
  });
  it("filterSubject parses the payload text once; text that is not JSON leaves every payload path missing", () => {
    const subject = filterSubject({ type: "t", severity: null, fingerprint: null, state: null, payload: '{"a":{"b":2.50}}' });
    assert.deepEqual(subject.payload, { a: { b: 2.5 } });
    assert.equal(passes({ "payload.a.b": { $gte: 2.5 } }, subject), true);
    const broken = filterSubject({ type: "t", severity: null, fingerprint: null, state: null, payload: "{" });
    assert.equal(passes({ "payload.a": { $exists: false } }, broken), true);
  });
});

describe("filter: checked on save, 400 naming the exact place", () => {
  it("names the operand that has the wrong type", () => {
    assert.equal(refusedAt({ $and: [{ "payload.a": 1 }, { "payload.score": { $gt: "10" } }] }), "/filter/$and/1/payload.score/$gt");
    assert.equal(refusedAt({ "payload.a": { $in: [] } }), "/filter/payload.a/$in");
    assert.equal(refusedAt({ "payload.a": { $in: ["x", { y: 1 }] } }), "/filter/payload.a/$in/1");
    assert.equal(refusedAt({ "payload.a": { $exists: "yes" } }), "/filter/payload.a/$exists");
    assert.equal(refusedAt({ "payload.a": { $prefix: 1 } }), "/filter/payload.a/$prefix");
    assert.equal(refusedAt({ "payload.a": { $eq: [1] } }), "/filter/payload.a/$eq");
    assert.equal(refusedAt({ "payload.a": { $gte: Infinity } }), "/filter/payload.a/$gte");
    assert.equal(refusedAt({ "payload.a": { $not: 3 } }), "/filter/payload.a/$not");
  });
  it("refuses unknown operators, unknown roots, bare arrays and objects, empty filters", () => {
    assert.equal(refusedAt({ "payload.a": { $regex: "x" } }), "/filter/payload.a/$regex");
    assert.equal(refusedAt({ $nor: [{ type: "x" }] }), "/filter/$nor");
    assert.equal(refusedAt({ $or: [] }), "/filter/$or");
    assert.equal(refusedAt({ $or: [{ type: "x" }, 3] }), "/filter/$or/1");
    assert.equal(refusedAt({ "data.a": 1 }), "/filter/data.a");
    assert.equal(refusedAt({ "type.x": 1 }), "/filter/type.x");
    assert.equal(refusedAt({ "payload..a": 1 }), "/filter/payload..a");
    assert.equal(refusedAt({ "payload.a": ["x"] }), "/filter/payload.a");
    assert.equal(refusedAt({ "payload.a": { b: 1 } }), "/filter/payload.a/b");
    assert.equal(refusedAt({ "payload.a": {} }), "/filter/payload.a");
    assert.equal(refusedAt({}), "/filter");
    assert.equal(refusedAt([{ type: "x" }]), "/filter");
    assert.equal(refusedAt("type == x"), "/filter");
  });
  it("escapes / and ~ in the path it names (RFC 6901)", () => {
    assert.equal(refusedAt({ "payload.a/b~c": { $gt: "x" } }), "/filter/payload.a~1b~0c/$gt");
  });
  it("bounds depth, conditions and size", () => {
    let deep: Record<string, unknown> = { type: "x" };
    for (let i = 1; i < FILTER_LIMITS.maxDepth; i++) deep = { $not: deep };
    assert.doesNotThrow(() => checkFilter(deep));
    assert.match(refusedAt({ $not: deep }), /^\/filter(\/\$not){8}$/);
    const many = Object.fromEntries(Array.from({ length: FILTER_LIMITS.maxNodes }, (_, i) => [`payload.k${i}`, i]));
    assert.doesNotThrow(() => checkFilter(many));
    assert.equal(refusedAt({ ...many, "payload.one_more": 1 }), "/filter/payload.one_more");
    assert.equal(refusedAt({ "payload.a": { $in: Array.from({ length: FILTER_LIMITS.maxNodes }, (_, i) => i) } }), "/filter/payload.a/$in");
    assert.equal(refusedAt({ "payload.a": "x".repeat(FILTER_LIMITS.maxBytes) }), "/filter");
  });
});
