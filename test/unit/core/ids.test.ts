import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type IdPrefix, newId, newUlid } from "../../../src/core/ids.ts";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{26}$/;

function decodeTime(ulid: string): number {
  let t = 0;
  for (const ch of ulid.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(ch);
  return t;
}

describe("newId", () => {
  it("puts the prefix and an underscore before a 26-character Crockford base32 ULID", () => {
    for (const prefix of ["evt", "ep", "dlv", "att", "key", "ten"] as IdPrefix[]) {
      const id = newId(prefix);
      assert.ok(id.startsWith(`${prefix}_`), id);
      const body = id.slice(prefix.length + 1);
      assert.equal(body.length, 26, id);
      assert.match(body, ULID);
    }
  });

  it("encodes the current time in milliseconds in the first 10 characters", () => {
    const before = Date.now();
    const id = newId("evt");
    const after = Date.now();
    const t = decodeTime(id.slice(4));
    assert.ok(t >= before && t <= after, `${t} not within [${before}, ${after}]`);
  });

  it("is strictly increasing across many calls, most of them in the same millisecond", () => {
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(newId("dlv"));
    for (let i = 1; i < ids.length; i++) {
      assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]}`);
    }
    const perMs = new Set(ids.map((id) => id.slice(4, 14))).size;
    assert.ok(perMs < ids.length / 2, "the loop was expected to produce many ids per millisecond");
  });
});

describe("newUlid", () => {
  it("is strictly increasing and keeps the time prefix when called many times with the same millisecond", () => {
    const t = Date.now() + 5;
    const ids = Array.from({ length: 5000 }, () => newUlid(t));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]}`);
    for (const id of ids) {
      assert.match(id, ULID);
      assert.equal(decodeTime(id), t);
    }
  });

  it("stays increasing when the clock steps backwards, reusing the last millisecond", () => {
    const t = Date.now() + 10;
    const a = newUlid(t);
    const b = newUlid(t - 1000);
    assert.ok(a < b, `${a} !< ${b}`);
    assert.equal(decodeTime(b), t);
  });

  it("moves to the new millisecond when time advances", () => {
    const t = Date.now() + 20;
    const a = newUlid(t);
    const b = newUlid(t + 1);
    assert.ok(a < b);
    assert.equal(decodeTime(b), t + 1);
  });

  // Kept last: it moves this process's "last millisecond" to the end of the 48-bit range.
  it("encodes the largest 48-bit time as 7ZZZZZZZZZ", () => {
    const max = 2 ** 48 - 1;
    const id = newUlid(max);
    assert.equal(id.slice(0, 10), "7ZZZZZZZZZ");
    assert.equal(decodeTime(id), max);
  });
});
