import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Schedule } from "../../../src/core/schedule.ts";
import { currentWindow, silenceReason, silenceState, silencedUntil, upcomingWindow } from "../../../src/core/silences.ts";

const ms = (iso: string) => Date.parse(iso);
const iso = (w: { start: number; end: number } | null) => (w === null ? null : [new Date(w.start).toISOString(), new Date(w.end).toISOString()]);
const SUNDAYS: Schedule = { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" };

describe("silence state", () => {
  const oneOff = { startsAt: ms("2026-12-06T10:00:00Z"), endsAt: ms("2026-12-06T12:00:00Z"), schedule: null };

  it("is pending before its start, active from its start, expired from its end (half-open)", () => {
    assert.equal(silenceState(oneOff, ms("2026-12-06T09:59:59.999Z")), "pending");
    assert.equal(silenceState(oneOff, ms("2026-12-06T10:00:00Z")), "active");
    assert.equal(silenceState(oneOff, ms("2026-12-06T11:59:59.999Z")), "active");
    assert.equal(silenceState(oneOff, ms("2026-12-06T12:00:00Z")), "expired");
  });

  it("a recurring silence is active only inside its windows, and pending between them", () => {
    const w = { startsAt: ms("2026-03-01T00:00:00Z"), endsAt: null, schedule: SUNDAYS };
    // Spring: 02:00–04:00 runs 03:00–04:00 CEST, 01:00Z–02:00Z.
    assert.equal(silenceState(w, ms("2026-03-29T00:30:00Z")), "pending");
    assert.equal(silenceState(w, ms("2026-03-29T01:30:00Z")), "active");
    // Autumn: from 02:00 CEST to 04:00 CET, 00:00Z–03:00Z.
    assert.equal(silenceState(w, ms("2026-10-25T00:30:00Z")), "active");
    assert.equal(silenceState(w, ms("2026-10-25T02:30:00Z")), "active");
    assert.equal(silenceState(w, ms("2026-10-25T03:00:00Z")), "pending");
    assert.deepEqual(iso(currentWindow(w, ms("2026-10-25T02:30:00Z"))), ["2026-10-25T00:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
    assert.equal(currentWindow(w, ms("2026-10-25T03:00:00Z")), null);
    assert.deepEqual(iso(upcomingWindow(w, ms("2026-10-25T03:00:00Z"))), ["2026-11-01T01:00:00.000Z", "2026-11-01T03:00:00.000Z"]);
  });

  it("a recurring silence's windows are cut to its own start and end, and none come after its end", () => {
    const w = { startsAt: ms("2026-03-29T01:30:00Z"), endsAt: ms("2026-04-05T00:30:00Z"), schedule: SUNDAYS };
    assert.deepEqual(iso(currentWindow(w, ms("2026-03-29T01:45:00Z"))), ["2026-03-29T01:30:00.000Z", "2026-03-29T02:00:00.000Z"]);
    assert.deepEqual(iso(upcomingWindow(w, ms("2026-03-29T02:00:00Z"))), ["2026-04-05T00:00:00.000Z", "2026-04-05T00:30:00.000Z"], "cut at the end");
    assert.equal(upcomingWindow({ ...w, endsAt: ms("2026-04-04T00:00:00Z") }, ms("2026-03-29T02:00:00Z")), null, "the next window starts after the end");
    assert.equal(silenceState(w, ms("2026-04-05T00:30:00Z")), "expired");
  });

  it("says until when it holds: the end of the current window, or of the silence", () => {
    const w = { startsAt: 0, endsAt: null, schedule: SUNDAYS };
    assert.equal(silencedUntil(w, ms("2026-03-29T01:30:00Z")), ms("2026-03-29T02:00:00Z"));
    assert.equal(silencedUntil({ startsAt: 0, endsAt: ms("2026-12-06T12:00:00Z"), schedule: null }, ms("2026-12-06T11:00:00Z")), ms("2026-12-06T12:00:00Z"));
  });
});

describe("silence reason", () => {
  it("names the silence, its comment and its end", () => {
    const r = silenceReason(
      { id: "sil_1", comment: 'db "migration"', startsAt: 0, endsAt: ms("2026-12-06T12:00:00Z"), schedule: null },
      ms("2026-12-06T11:00:00Z"),
    );
    assert.deepEqual(r, { code: "silenced", silenceId: "sil_1", message: 'Silenced: sil_1 ("db \\"migration\\"") until 2026-12-06T12:00:00Z' });
  });

  it("says a maintenance window holds it, until the window closes", () => {
    const r = silenceReason({ id: "sil_2", comment: "weekly", startsAt: 0, endsAt: null, schedule: SUNDAYS }, ms("2026-03-29T01:30:00Z"));
    assert.equal(r.message, 'Silenced by a maintenance window: sil_2 ("weekly") until 2026-03-29T02:00:00Z');
  });
});
