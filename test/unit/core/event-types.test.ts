import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EVENT_TYPE_NAME, EVENT_TYPE_PATTERN, matchesEventType } from "../../../src/core/event-types.ts";

describe("matchesEventType", () => {
  it("matches a name exactly and nothing else", () => {
    assert.equal(matchesEventType(["alert.fired"], "alert.fired"), true);
    assert.equal(matchesEventType(["alert.fired"], "alert.fired.twice"), false);
    assert.equal(matchesEventType(["alert.fired"], "alert"), false);
    assert.equal(matchesEventType(["alert.fired"], "alert.fire"), false);
    assert.equal(matchesEventType(["alert.fired"], "Alert.Fired"), false);
  });

  it("matches alert.* against alert.x and alert.x.y", () => {
    assert.equal(matchesEventType(["alert.*"], "alert.x"), true);
    assert.equal(matchesEventType(["alert.*"], "alert.x.y"), true);
    assert.equal(matchesEventType(["alert.*"], "alert.fired"), true);
  });

  it("does not match alert.* against alert itself, alerts.x, xalert.y or an empty trailing segment", () => {
    assert.equal(matchesEventType(["alert.*"], "alert"), false);
    assert.equal(matchesEventType(["alert.*"], "alerts.x"), false);
    assert.equal(matchesEventType(["alert.*"], "xalert.y"), false);
    assert.equal(matchesEventType(["alert.*"], "scan.alert.x"), false);
    assert.equal(matchesEventType(["alert.*"], "alert."), false);
  });

  it("matches a nested prefix pattern only below that prefix", () => {
    assert.equal(matchesEventType(["alert.fired.*"], "alert.fired.high"), true);
    assert.equal(matchesEventType(["alert.fired.*"], "alert.fired"), false);
    assert.equal(matchesEventType(["alert.fired.*"], "alert.resolved.high"), false);
  });

  it("matches * against every type except tocsin.* types", () => {
    for (const type of ["alert.fired", "scan.done", "x", "a.b.c.d", "tocsin", "tocsinx.y"]) {
      assert.equal(matchesEventType(["*"], type), true, type);
    }
    for (const type of ["tocsin.endpoint.disabled", "tocsin.x"]) {
      assert.equal(matchesEventType(["*"], type), false, type);
    }
  });

  it("delivers tocsin.* types only when named exactly or through tocsin.*", () => {
    assert.equal(matchesEventType(["tocsin.endpoint.disabled"], "tocsin.endpoint.disabled"), true);
    assert.equal(matchesEventType(["tocsin.*"], "tocsin.endpoint.disabled"), true);
    assert.equal(matchesEventType(["tocsin.endpoint.*"], "tocsin.endpoint.disabled"), true);
    assert.equal(matchesEventType(["*", "tocsin.endpoint.disabled"], "tocsin.endpoint.disabled"), true);
    assert.equal(matchesEventType(["tocsin.*"], "alert.fired"), false);
    assert.equal(matchesEventType(["*", "alert.*"], "tocsin.endpoint.disabled"), false);
  });

  it("matches when any pattern in the list matches", () => {
    assert.equal(matchesEventType(["scan.done", "alert.*"], "alert.fired"), true);
    assert.equal(matchesEventType(["scan.done", "alert.*"], "scan.done"), true);
    assert.equal(matchesEventType(["scan.done", "alert.*"], "scan.started"), false);
  });

  it("matches nothing with an empty list", () => {
    for (const type of ["alert.fired", "x", "tocsin.endpoint.disabled", "*", ""]) {
      assert.equal(matchesEventType([], type), false, type);
    }
  });
});

describe("EVENT_TYPE_NAME and EVENT_TYPE_PATTERN", () => {
  const name = new RegExp(EVENT_TYPE_NAME);
  const pattern = new RegExp(EVENT_TYPE_PATTERN);

  it("accept dot-separated names of letters, digits, _ and -", () => {
    for (const n of ["alert", "alert.fired", "a_b-c.D9"]) assert.equal(name.test(n), true, n);
    for (const n of ["", ".", "alert.", ".alert", "alert..fired", "alert.*", "*", "alert fired", "é"]) assert.equal(name.test(n), false, n);
  });

  it("accept a name, a name followed by .*, or * as a pattern", () => {
    for (const p of ["*", "alert", "alert.fired", "alert.*", "tocsin.*"]) assert.equal(pattern.test(p), true, p);
    for (const p of ["", "alert*", "*.fired", "alert.*.x", "**", ".*", "alert.**"]) assert.equal(pattern.test(p), false, p);
  });
});
