import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeSchedule, isActive, nextWindow, type Schedule, scheduleProblems, type TimeWindow, windowAt } from "../../../src/core/schedule.ts";

// Every expected instant below was worked out by hand from the zone's rules (and checked against
// the clock shown by Intl at the switch), then written in UTC.

const ms = (iso: string) => Date.parse(iso);
const shown = (w: TimeWindow | null) => (w === null ? null : [new Date(w.start).toISOString(), new Date(w.end).toISOString()]);
const at = (s: Schedule, iso: string) => shown(windowAt(s, ms(iso)));
const after = (s: Schedule, iso: string) => shown(nextWindow(s, ms(iso)));
const active = (s: Schedule, iso: string) => isActive(s, ms(iso));

/** Asserts isActive just before, at, just before the end of and at the end of a window. */
function assertBoundaries(s: Schedule, start: string, end: string): void {
  assert.equal(isActive(s, ms(start) - 1), false, `inactive 1 ms before ${start}`);
  assert.equal(isActive(s, ms(start)), true, `active at ${start}`);
  assert.equal(isActive(s, ms(end) - 1), true, `active 1 ms before ${end}`);
  assert.equal(isActive(s, ms(end)), false, `inactive at ${end}`);
  assert.deepEqual(at(s, start), [start, end]);
  assert.deepEqual(shown(windowAt(s, ms(end) - 1)), [start, end]);
  assert.equal(windowAt(s, ms(start) - 1), null);
  assert.equal(windowAt(s, ms(end)), null);
}

const berlin: Schedule = { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" };

describe("Sundays 02:00–04:00 Europe/Berlin", () => {
  it("runs 01:00Z–03:00Z on an ordinary winter Sunday (CET, +01:00)", () => {
    assertBoundaries(berlin, "2026-03-22T01:00:00.000Z", "2026-03-22T03:00:00.000Z");
  });

  it("runs 00:00Z–02:00Z on an ordinary summer Sunday (CEST, +02:00)", () => {
    assertBoundaries(berlin, "2026-04-05T00:00:00.000Z", "2026-04-05T02:00:00.000Z");
  });

  it("runs 01:00Z–02:00Z, one hour, on the spring Sunday: 02:00 is in the gap and means 03:00 CEST", () => {
    // Clocks go from 02:00 CET (01:00Z) straight to 03:00 CEST.
    assertBoundaries(berlin, "2026-03-29T01:00:00.000Z", "2026-03-29T02:00:00.000Z");
    assert.equal(active(berlin, "2026-03-29T00:30:00.000Z"), false, "01:30 CET is before the window");
    assert.equal(active(berlin, "2026-03-29T02:30:00.000Z"), false, "04:30 CEST is after it");
  });

  it("runs 00:00Z–03:00Z, three hours, on the autumn Sunday: from the first 02:00 (CEST) to 04:00 CET", () => {
    // Clocks go back from 03:00 CEST (01:00Z) to 02:00 CET: 02:00–03:00 happens twice.
    assertBoundaries(berlin, "2026-10-25T00:00:00.000Z", "2026-10-25T03:00:00.000Z");
    assert.equal(active(berlin, "2026-10-25T01:00:00.000Z"), true, "the second 02:00 (CET) is inside");
    assert.equal(active(berlin, "2026-10-25T01:30:00.000Z"), true, "the second 02:30 (CET) is inside");
    assert.deepEqual(at(berlin, "2026-10-25T01:59:59.999Z"), ["2026-10-25T00:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
  });

  it("is not active on other days at the same local times", () => {
    assert.equal(active(berlin, "2026-03-28T01:30:00.000Z"), false);
    assert.equal(active(berlin, "2026-03-30T00:30:00.000Z"), false);
    assert.equal(at(berlin, "2026-03-25T12:00:00.000Z"), null);
  });

  it("finds the next window across the spring switch", () => {
    assert.deepEqual(after(berlin, "2026-03-22T03:00:00.000Z"), ["2026-03-29T01:00:00.000Z", "2026-03-29T02:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-03-28T23:59:59.999Z"), ["2026-03-29T01:00:00.000Z", "2026-03-29T02:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-03-29T00:59:59.999Z"), ["2026-03-29T01:00:00.000Z", "2026-03-29T02:00:00.000Z"]);
    // At or inside a window, the next one is the week after.
    assert.deepEqual(after(berlin, "2026-03-29T01:00:00.000Z"), ["2026-04-05T00:00:00.000Z", "2026-04-05T02:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-03-29T01:30:00.000Z"), ["2026-04-05T00:00:00.000Z", "2026-04-05T02:00:00.000Z"]);
  });

  it("finds the next window across the autumn switch", () => {
    assert.deepEqual(after(berlin, "2026-10-18T02:00:00.000Z"), ["2026-10-25T00:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-10-24T23:59:59.999Z"), ["2026-10-25T00:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-10-25T00:00:00.000Z"), ["2026-11-01T01:00:00.000Z", "2026-11-01T03:00:00.000Z"]);
    assert.deepEqual(after(berlin, "2026-10-25T02:59:59.999Z"), ["2026-11-01T01:00:00.000Z", "2026-11-01T03:00:00.000Z"]);
  });

  it("gives the same answers far from today, in 1999 and 2100", () => {
    // 1999-03-28 and 2100-03-28 are spring Sundays; the rules (last Sunday of March) are the same.
    assert.deepEqual(at(berlin, "1999-03-28T01:30:00.000Z"), ["1999-03-28T01:00:00.000Z", "1999-03-28T02:00:00.000Z"]);
    assert.deepEqual(at(berlin, "2100-03-28T01:30:00.000Z"), ["2100-03-28T01:00:00.000Z", "2100-03-28T02:00:00.000Z"]);
  });
});

describe("windows in and around the Berlin gap and repeated hour", () => {
  it("skips the spring Sunday when start and end both fall in the gap (02:15–02:45): there is no window that day", () => {
    const s: Schedule = { ...berlin, start: "02:15", end: "02:45" };
    assert.deepEqual(at(s, "2026-03-22T01:30:00.000Z"), ["2026-03-22T01:15:00.000Z", "2026-03-22T01:45:00.000Z"]);
    for (const iso of ["2026-03-29T00:59:59.999Z", "2026-03-29T01:00:00.000Z", "2026-03-29T01:15:00.000Z", "2026-03-29T01:30:00.000Z"]) {
      assert.equal(active(s, iso), false, iso);
      assert.equal(at(s, iso), null, iso);
    }
    assert.deepEqual(after(s, "2026-03-22T02:00:00.000Z"), ["2026-04-05T00:15:00.000Z", "2026-04-05T00:45:00.000Z"]);
  });

  it("starts a window that begins in the gap at the end of the gap (02:30–03:30 runs 03:00–03:30 CEST)", () => {
    const s: Schedule = { ...berlin, start: "02:30", end: "03:30" };
    assertBoundaries(s, "2026-03-29T01:00:00.000Z", "2026-03-29T01:30:00.000Z");
  });

  it("ends a window whose end is in the gap at the end of the gap (01:00–02:30 runs 01:00 CET–03:00 CEST)", () => {
    const s: Schedule = { ...berlin, start: "01:00", end: "02:30" };
    assertBoundaries(s, "2026-03-29T00:00:00.000Z", "2026-03-29T01:00:00.000Z");
  });

  it("ends at the second occurrence when the end is in the repeated hour (01:30–02:30 runs 01:30 CEST–02:30 CET)", () => {
    const s: Schedule = { ...berlin, start: "01:30", end: "02:30" };
    assertBoundaries(s, "2026-10-24T23:30:00.000Z", "2026-10-25T01:30:00.000Z");
  });

  it("ends at the second 02:00 when the end is where the repeated hour begins (01:00–02:00 lasts two hours)", () => {
    const s: Schedule = { ...berlin, start: "01:00", end: "02:00" };
    assertBoundaries(s, "2026-10-24T23:00:00.000Z", "2026-10-25T01:00:00.000Z");
  });

  it("starts at the first occurrence when the start is in the repeated hour (02:30–03:30 runs 02:30 CEST–03:30 CET)", () => {
    const s: Schedule = { ...berlin, start: "02:30", end: "03:30" };
    assertBoundaries(s, "2026-10-25T00:30:00.000Z", "2026-10-25T02:30:00.000Z");
  });

  it("covers both passes of a repeated hour when start and end are both in it (02:10–02:20 lasts 70 minutes)", () => {
    const s: Schedule = { ...berlin, start: "02:10", end: "02:20" };
    assertBoundaries(s, "2026-10-25T00:10:00.000Z", "2026-10-25T01:20:00.000Z");
  });

  it("runs a whole day 00:00–24:00 for 23 hours in spring and 25 in autumn", () => {
    const s: Schedule = { ...berlin, start: "00:00", end: "24:00" };
    assertBoundaries(s, "2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z");
    assertBoundaries(s, "2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z");
  });

  it("crosses midnight over the spring switch: Saturday 22:00–06:00 runs 7 hours", () => {
    const s: Schedule = { days: ["sat"], start: "22:00", end: "06:00", timeZone: "Europe/Berlin" };
    assertBoundaries(s, "2026-03-28T21:00:00.000Z", "2026-03-29T04:00:00.000Z");
    assert.equal(active(s, "2026-03-29T01:00:00.000Z"), true, "the Sunday belongs to Saturday's window");
  });

  it("crosses midnight over the autumn switch: Saturday 22:00–06:00 runs 9 hours", () => {
    const s: Schedule = { days: ["sat"], start: "22:00", end: "06:00", timeZone: "Europe/Berlin" };
    assertBoundaries(s, "2026-10-24T20:00:00.000Z", "2026-10-25T05:00:00.000Z");
  });

  it("counts two overlapping occurrences around the autumn switch as one window", () => {
    // Saturday's window ends at the second 02:30 (01:30Z); Sunday's starts at the first 02:45 (00:45Z).
    const s: Schedule = { days: ["sat", "sun"], start: "02:45", end: "02:30", timeZone: "Europe/Berlin" };
    const merged = ["2026-10-24T00:45:00.000Z", "2026-10-26T01:30:00.000Z"];
    assert.deepEqual(at(s, "2026-10-24T12:00:00.000Z"), merged);
    assert.deepEqual(at(s, "2026-10-25T01:00:00.000Z"), merged);
    assert.deepEqual(at(s, "2026-10-26T01:00:00.000Z"), merged);
    assert.equal(active(s, "2026-10-25T01:00:00.000Z"), true);
    // Sunday's occurrence starts inside the merged window, so it is not "next".
    assert.deepEqual(after(s, "2026-10-24T12:00:00.000Z"), ["2026-10-31T01:45:00.000Z", "2026-11-01T01:30:00.000Z"]);
    // An ordinary weekend: two windows with 15 minutes between them.
    assert.deepEqual(at(s, "2026-10-31T12:00:00.000Z"), ["2026-10-31T01:45:00.000Z", "2026-11-01T01:30:00.000Z"]);
    assert.equal(active(s, "2026-11-01T01:40:00.000Z"), false);
    assert.deepEqual(after(s, "2026-11-01T01:30:00.000Z"), ["2026-11-01T01:45:00.000Z", "2026-11-02T01:30:00.000Z"]);
  });
});

describe("America/New_York (switches at 02:00 local too)", () => {
  const ny: Schedule = { days: ["sun"], start: "02:00", end: "04:00", timeZone: "America/New_York" };

  it("runs 02:00–04:00 as 07:00Z–08:00Z on the spring Sunday (02:00 EST jumps to 03:00 EDT)", () => {
    assertBoundaries(ny, "2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z");
    assert.deepEqual(after(ny, "2026-03-01T12:00:00.000Z"), ["2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z"]);
  });

  it("runs 02:00–04:00 as 07:00Z–09:00Z on the autumn Sunday: its repeated hour is 01:00–02:00, before the window", () => {
    assertBoundaries(ny, "2026-11-01T07:00:00.000Z", "2026-11-01T09:00:00.000Z");
  });

  it("runs 01:00–03:00 for three hours on the autumn Sunday: from 01:00 EDT to 03:00 EST", () => {
    assertBoundaries({ ...ny, start: "01:00", end: "03:00" }, "2026-11-01T05:00:00.000Z", "2026-11-01T08:00:00.000Z");
  });

  it("runs 06:00Z–08:00Z and 07:00Z–09:00Z on ordinary summer and winter Sundays", () => {
    assertBoundaries(ny, "2026-07-05T06:00:00.000Z", "2026-07-05T08:00:00.000Z");
    assertBoundaries(ny, "2026-01-04T07:00:00.000Z", "2026-01-04T09:00:00.000Z");
  });
});

describe("Australia (southern hemisphere: autumn in April, spring in October)", () => {
  const sydney: Schedule = { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Australia/Sydney" };
  const lordHowe: Schedule = { days: ["sun"], start: "02:00", end: "04:00", timeZone: "Australia/Lord_Howe" };

  it("Sydney: three hours on the April Sunday (03:00 AEDT goes back to 02:00 AEST)", () => {
    assertBoundaries(sydney, "2026-04-04T15:00:00.000Z", "2026-04-04T18:00:00.000Z");
  });

  it("Sydney: one hour on the October Sunday (02:00 AEST jumps to 03:00 AEDT)", () => {
    assertBoundaries(sydney, "2026-10-03T16:00:00.000Z", "2026-10-03T17:00:00.000Z");
  });

  it("Sydney: two hours on an ordinary Sunday, starting on Saturday in UTC", () => {
    assertBoundaries(sydney, "2026-07-04T16:00:00.000Z", "2026-07-04T18:00:00.000Z");
    assertBoundaries(sydney, "2026-01-03T15:00:00.000Z", "2026-01-03T17:00:00.000Z");
    assert.deepEqual(after(sydney, "2026-04-01T00:00:00.000Z"), ["2026-04-04T15:00:00.000Z", "2026-04-04T18:00:00.000Z"]);
  });

  it("Lord Howe (30-minute DST): 02:00 in the October gap means 02:30 (+11:00), so 02:00–04:00 lasts 90 minutes", () => {
    assertBoundaries(lordHowe, "2026-10-03T15:30:00.000Z", "2026-10-03T17:00:00.000Z");
  });

  it("Lord Howe: 01:00–03:00 on the April Sunday lasts 2.5 hours (01:30–02:00 happens twice)", () => {
    assertBoundaries({ ...lordHowe, start: "01:00", end: "03:00" }, "2026-04-04T14:00:00.000Z", "2026-04-04T16:30:00.000Z");
  });

  it("Lord Howe: 02:00–02:30 on the October Sunday lies wholly in the gap and is skipped", () => {
    const s: Schedule = { ...lordHowe, start: "02:00", end: "02:30" };
    assert.equal(active(s, "2026-10-03T15:30:00.000Z"), false);
    assert.deepEqual(after(s, "2026-10-01T00:00:00.000Z"), ["2026-10-10T15:00:00.000Z", "2026-10-10T15:30:00.000Z"]);
  });
});

describe("zones without DST", () => {
  it("Asia/Kolkata (+05:30) is the same in January and July", () => {
    const s: Schedule = { days: ["mon"], start: "09:00", end: "10:00", timeZone: "Asia/Kolkata" };
    assertBoundaries(s, "2026-01-05T03:30:00.000Z", "2026-01-05T04:30:00.000Z");
    assertBoundaries(s, "2026-07-06T03:30:00.000Z", "2026-07-06T04:30:00.000Z");
  });

  it("UTC: Mon, Wed 22:00–02:00 ends on the next day, which need not be listed", () => {
    const s: Schedule = { days: ["mon", "wed"], start: "22:00", end: "02:00", timeZone: "UTC" };
    assertBoundaries(s, "2026-12-07T22:00:00.000Z", "2026-12-08T02:00:00.000Z");
    assert.equal(active(s, "2026-12-08T22:00:00.000Z"), false, "Tuesday 22:00 starts nothing");
    assert.deepEqual(after(s, "2026-12-08T01:00:00.000Z"), ["2026-12-09T22:00:00.000Z", "2026-12-10T02:00:00.000Z"]);
    assert.deepEqual(after(s, "2026-12-10T01:00:00.000Z"), ["2026-12-14T22:00:00.000Z", "2026-12-15T02:00:00.000Z"]);
  });

  it("UTC: every day 00:00–24:00 is always active, one window per day", () => {
    const s: Schedule = { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start: "00:00", end: "24:00", timeZone: "UTC" };
    assert.equal(active(s, "2026-12-06T23:59:59.999Z"), true);
    assert.equal(active(s, "2026-12-07T00:00:00.000Z"), true);
    assert.deepEqual(at(s, "2026-12-07T00:00:00.000Z"), ["2026-12-07T00:00:00.000Z", "2026-12-08T00:00:00.000Z"]);
    assert.deepEqual(after(s, "2026-12-07T00:00:00.000Z"), ["2026-12-08T00:00:00.000Z", "2026-12-09T00:00:00.000Z"]);
  });
});

describe("a gap at midnight (America/Santiago: 00:00 jumps to 01:00 on the first Sunday of September)", () => {
  it("starts Sundays 00:00–02:00 at 01:00 -03:00 that day", () => {
    const s: Schedule = { days: ["sun"], start: "00:00", end: "02:00", timeZone: "America/Santiago" };
    assertBoundaries(s, "2026-09-06T04:00:00.000Z", "2026-09-06T05:00:00.000Z");
  });

  it("ends Saturdays 22:00–24:00 at the one Sunday midnight after the repeated 23:00–24:00 in April", () => {
    const s: Schedule = { days: ["sat"], start: "22:00", end: "24:00", timeZone: "America/Santiago" };
    assertBoundaries(s, "2026-04-05T01:00:00.000Z", "2026-04-05T04:00:00.000Z");
  });
});

describe("every window of ten years, read on the zone's own clock", () => {
  // An independent check through Intl alone: each window starts the first moment the local clock
  // reads the start time or later on a listed day, and ends the first moment it reads the end time
  // or later (at the second pass when the end time happens twice, which the cases above fix).
  const zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"];
  for (const timeZone of zones) {
    it(`${timeZone}: Wednesdays and Sundays 00:30–02:30, 2020–2029`, () => {
      const s: Schedule = { days: ["wed", "sun"], start: "00:30", end: "02:30", timeZone };
      const clock = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      const read = (t: number) => {
        const parts = clock.formatToParts(t);
        const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
        return { day: part("weekday"), time: `${part("hour")}:${part("minute")}` };
      };
      // From the Tuesday before 1 January 2020 (a Wednesday) everywhere, so its window counts.
      let w = nextWindow(s, ms("2019-12-31T00:00:00.000Z"));
      let count = 0;
      while (w !== null && w.start < ms("2030-01-01T00:00:00.000Z")) {
        const where = `${timeZone} ${new Date(w.start).toISOString()}`;
        assert.ok(["Wed", "Sun"].includes(read(w.start).day), where);
        const before = read(w.start - 1);
        assert.ok(read(w.start).time >= "00:30" && (before.day !== read(w.start).day || before.time < "00:30"), `start ${where}`);
        assert.ok(read(w.end).time >= "02:30" && read(w.end - 1).time < "02:30", `end ${where}`);
        assert.ok(w.end - w.start >= 30 * 60_000 && w.end - w.start <= 3 * 3600_000, `length ${where}`);
        assert.equal(isActive(s, w.start), true, where);
        assert.equal(isActive(s, w.start - 1), false, where);
        assert.equal(isActive(s, w.end), false, where);
        assert.deepEqual(windowAt(s, w.end - 1), w, where);
        const next = nextWindow(s, w.start);
        assert.ok(next === null || next.start >= w.end, where);
        w = next;
        count++;
      }
      // 2020–2029 has 1044 Wednesdays and Sundays; a day whose window lay wholly in a gap would be
      // missing (none here: no zone above has a gap covering both 00:30 and 02:30).
      assert.equal(count, 1044);
    });
  }
});

describe("scheduleProblems", () => {
  it("accepts a valid schedule", () => {
    assert.deepEqual(scheduleProblems(berlin), []);
    assert.deepEqual(scheduleProblems({ days: ["mon", "wed"], start: "22:00", end: "02:00", timeZone: "UTC" }), []);
    assert.deepEqual(scheduleProblems({ days: ["sat"], start: "00:00", end: "24:00", timeZone: "Asia/Kolkata" }), []);
  });

  it("rejects what is not an object", () => {
    for (const v of [null, "Sundays", 3, ["sun"]]) {
      assert.deepEqual(scheduleProblems(v), [{ path: "", message: "must be an object with days, start, end and timeZone" }]);
    }
  });

  it("names every missing field at once", () => {
    assert.deepEqual(scheduleProblems({}), [
      { path: "/days", message: 'is required: the days on which a window starts, such as ["sun"] (use mon, tue, wed, thu, fri, sat, sun)' },
      { path: "/start", message: "is required: a local time HH:MM from 00:00 to 23:59, such as 02:00" },
      { path: "/end", message: "is required: a local time HH:MM from 00:00 to 24:00, such as 04:00" },
      { path: "/timeZone", message: "is required: use an IANA time-zone name such as Europe/Berlin, America/New_York or UTC" },
    ]);
  });

  it("names each bad or repeated day by its index, and an unknown field", () => {
    assert.deepEqual(scheduleProblems({ ...berlin, days: ["sun", "Monday", "sun", 3], every: "week" }), [
      { path: "/every", message: "is not a schedule field: use days, start, end, timeZone" },
      { path: "/days/1", message: '"Monday" is not a day: use mon, tue, wed, thu, fri, sat, sun (lower case, three letters)' },
      { path: "/days/2", message: 'repeats "sun": name each day once' },
      { path: "/days/3", message: "3 is not a day: use mon, tue, wed, thu, fri, sat, sun (lower case, three letters)" },
    ]);
  });

  it("wants a non-empty list of days", () => {
    assert.deepEqual(scheduleProblems({ ...berlin, days: [] }), [
      { path: "/days", message: "must name at least one day (use mon, tue, wed, thu, fri, sat, sun)" },
    ]);
    assert.deepEqual(scheduleProblems({ ...berlin, days: "sun" }), [
      { path: "/days", message: 'must be a list of days, such as ["sun"] (use mon, tue, wed, thu, fri, sat, sun)' },
    ]);
  });

  it("wants times HH:MM, 24:00 only as an end", () => {
    for (const bad of ["2:00", "02:0", "24:01", "25:00", "23:60", "0200", "02:00:00", " 02:00", ""]) {
      assert.deepEqual(
        scheduleProblems({ ...berlin, start: bad }).map((p) => p.path),
        ["/start"],
        `start ${JSON.stringify(bad)}`,
      );
    }
    assert.deepEqual(scheduleProblems({ ...berlin, start: "2:00" }), [
      { path: "/start", message: '"2:00" is not a time HH:MM from 00:00 to 23:59 (two digits each, 24-hour clock), such as 02:00' },
    ]);
    assert.deepEqual(scheduleProblems({ ...berlin, start: "24:00" }), [
      { path: "/start", message: "24:00 can only be an end: a window starting at midnight starts at 00:00" },
    ]);
    assert.deepEqual(scheduleProblems({ ...berlin, end: 4 }), [{ path: "/end", message: "must be a string HH:MM from 00:00 to 24:00, such as 04:00" }]);
    assert.deepEqual(scheduleProblems({ ...berlin, start: "00:00", end: "24:00" }), []);
    assert.deepEqual(scheduleProblems({ ...berlin, start: "23:59", end: "00:00" }), []);
  });

  it("rejects a start equal to the end", () => {
    assert.deepEqual(scheduleProblems({ ...berlin, start: "02:00", end: "02:00" }), [
      { path: "/end", message: "equals start: a window needs a length (for a whole day use 00:00 to 24:00)" },
    ]);
  });

  it("says when a time zone is unknown, and gives an example", () => {
    assert.deepEqual(scheduleProblems({ ...berlin, timeZone: "Europe/Berln" }), [
      {
        path: "/timeZone",
        message: '"Europe/Berln" is not a time zone in the time-zone database: use an IANA time-zone name such as Europe/Berlin, America/New_York or UTC',
      },
    ]);
    assert.deepEqual(
      scheduleProblems({ ...berlin, timeZone: "CEST" }).map((p) => p.path),
      ["/timeZone"],
    );
    assert.deepEqual(scheduleProblems({ ...berlin, timeZone: "" }), [
      { path: "/timeZone", message: "must be a time-zone name: use an IANA time-zone name such as Europe/Berlin, America/New_York or UTC" },
    ]);
  });

  it("rejects a fixed offset and a name in the wrong case", () => {
    assert.deepEqual(scheduleProblems({ ...berlin, timeZone: "+01:00" }), [
      { path: "/timeZone", message: '"+01:00" is a fixed offset, not a time zone: use an IANA time-zone name such as Europe/Berlin, America/New_York or UTC' },
    ]);
    assert.deepEqual(scheduleProblems({ ...berlin, timeZone: "europe/berlin" }), [
      { path: "/timeZone", message: '"europe/berlin" is spelled "Europe/Berlin" in the time-zone database: write that' },
    ]);
  });

  it("accepts the zones the database knows, links included", () => {
    for (const timeZone of ["UTC", "Etc/UTC", "Asia/Kolkata", "Asia/Calcutta", "US/Eastern", "Australia/Lord_Howe", "America/Santiago"]) {
      assert.deepEqual(scheduleProblems({ ...berlin, timeZone }), [], timeZone);
    }
  });

  it("reports problems in several fields together", () => {
    assert.deepEqual(
      scheduleProblems({ days: ["sun", "sun"], start: "24:00", end: "4pm", timeZone: "Mars/Olympus" }).map((p) => p.path),
      ["/days/1", "/start", "/end", "/timeZone"],
    );
  });
});

describe("describeSchedule", () => {
  it("says one day as a plural, several as short names in week order", () => {
    assert.equal(describeSchedule(berlin), "Sundays 02:00–04:00 (Europe/Berlin)");
    assert.equal(describeSchedule({ days: ["wed", "mon"], start: "22:00", end: "02:00", timeZone: "UTC" }), "Mon, Wed 22:00–02:00 next day (UTC)");
  });

  it("names every day, weekdays and weekends", () => {
    const all: Schedule = { days: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], start: "00:00", end: "24:00", timeZone: "UTC" };
    assert.equal(describeSchedule(all), "Every day 00:00–24:00 (UTC)");
    assert.equal(describeSchedule({ ...all, days: ["fri", "thu", "wed", "tue", "mon"] }), "Weekdays 00:00–24:00 (UTC)");
    assert.equal(describeSchedule({ ...all, days: ["sun", "sat"], start: "23:00", end: "01:00" }), "Weekends 23:00–01:00 next day (UTC)");
  });
});

describe("schedules that were not checked", () => {
  it("throw with a message that points at scheduleProblems", () => {
    assert.throws(() => isActive({ ...berlin, start: "2am" }, 0), /check it with scheduleProblems/);
    assert.throws(() => windowAt({ ...berlin, timeZone: "Mars/Olympus" }, 0), RangeError);
  });
});
