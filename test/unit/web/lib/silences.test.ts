import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formFromSearch,
  formToSilenceBody,
  isoToLocal,
  localToIso,
  newSilenceForm,
  prefillSearch,
  problemToSilenceErrors,
  silenceFieldForPath,
} from "../../../../web/src/lib/silence-form.ts";
import {
  appliesTo,
  daysInWords,
  endpointsInWords,
  matchersInWords,
  reasonOf,
  scheduleInWords,
  whenInWords,
  windowInWords,
} from "../../../../web/src/lib/silence-words.ts";

const fmt = (iso: string) => iso.slice(0, 16).replace("T", " ");

describe("web console: silences in words", () => {
  it("says matchers in the filter language as a sentence", () => {
    assert.equal(matchersInWords(null), "every event");
    assert.equal(matchersInWords({}), "every event");
    assert.equal(matchersInWords({ type: "alert.fired", fingerprint: "db-1" }), "event type is alert.fired and fingerprint is db-1");
    assert.equal(matchersInWords({ type: { $prefix: "alert." } }), "event type is alert.*");
    assert.equal(matchersInWords({ severity: { $in: ["low", "info"] } }), "severity is one of low, info");
    assert.equal(matchersInWords({ severity: { $in: ["low"] } }), "severity is low");
    assert.equal(matchersInWords({ "payload.score": { $gte: 7, $lt: 10 } }), "payload.score is at least 7 and is under 10");
    assert.equal(matchersInWords({ "payload.env": "two words" }), 'payload.env is "two words"');
    assert.equal(matchersInWords({ "payload.x": { $exists: false }, state: { $ne: "end" } }), "payload.x is missing and alert state is not end");
    assert.equal(
      matchersInWords({ $or: [{ "payload.env": "dev" }, { "payload.env": { $prefix: "test-" } }] }),
      "any of (payload.env is dev; payload.env starts with test-)",
    );
    assert.equal(matchersInWords({ $and: [{ fingerprint: "a" }, { $not: { "payload.ok": true } }] }), "all of (fingerprint is a; not (payload.ok is true))");
    assert.equal(matchersInWords({ "payload.n": { $not: { $gt: 3 } } }), "payload.n does not hold: is over 3");
  });

  it("says days as plurals, ranges and lists, in the week's order", () => {
    assert.equal(daysInWords(["sun"]), "Sundays");
    assert.equal(daysInWords(["fri", "mon", "tue", "wed", "thu"]), "Mon–Fri");
    assert.equal(daysInWords([...["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] as never), "Every day");
    assert.equal(daysInWords(["sat", "sun"]), "Weekends");
    assert.equal(daysInWords(["mon", "wed", "fri"]), "Mon, Wed, Fri");
    assert.equal(daysInWords(["mon", "tue", "thu", "fri", "sat"]), "Mon, Tue, Thu–Sat");
    assert.equal(daysInWords([]), "No day");
  });

  it("says a schedule with its zone, and when it runs into the next day", () => {
    assert.equal(scheduleInWords({ days: ["sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" }), "Sundays 02:00–04:00 Europe/Berlin");
    assert.equal(
      scheduleInWords({ days: ["mon", "tue", "wed", "thu", "fri"], start: "22:00", end: "02:00", timeZone: "UTC" }),
      "Mon–Fri 22:00–02:00 (ends the next day) UTC",
    );
  });

  it("says which webhooks, when it holds and the window now or next", () => {
    assert.equal(endpointsInWords(null), "all webhooks");
    assert.equal(endpointsInWords(["ep_1", "ep_2"], new Map([["ep_1", "Pager"]])), "Pager, ep_2");
    assert.ok(appliesTo({ endpointIds: null }, "ep_1"));
    assert.ok(appliesTo({ endpointIds: ["ep_1"] }, "ep_1"));
    assert.ok(!appliesTo({ endpointIds: ["ep_2"] }, "ep_1"));
    const once = { endpointIds: null, startsAt: "2026-12-06T10:00:00Z", endsAt: "2026-12-06T12:00:00Z", schedule: null, state: "active" as const };
    assert.equal(whenInWords(once, fmt), "from 2026-12-06 10:00 until 2026-12-06 12:00");
    assert.equal(whenInWords({ ...once, state: "expired", expiredEarly: true }, fmt), "from 2026-12-06 10:00 expired early at 2026-12-06 12:00");
    assert.equal(windowInWords(once, fmt), null);
    const weekly = {
      ...once,
      endsAt: null,
      state: "pending" as const,
      schedule: { days: ["sun" as const], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" },
      nextWindow: { start: "2026-12-13T01:00:00Z", end: "2026-12-13T03:00:00Z" },
    };
    assert.equal(whenInWords(weekly, fmt), "Sundays 02:00–04:00 Europe/Berlin");
    assert.equal(whenInWords({ ...weekly, endsAt: "2027-01-01T00:00:00Z" }, fmt), "Sundays 02:00–04:00 Europe/Berlin, until 2027-01-01 00:00");
    assert.equal(windowInWords(weekly, fmt), "next window 2026-12-13 01:00 – 2026-12-13 03:00");
    assert.equal(windowInWords({ ...weekly, currentWindow: weekly.nextWindow }, fmt), "in a window now, until 2026-12-13 03:00");
  });

  it("reads a delivery's reason, and nothing from a delivery without one", () => {
    assert.equal(reasonOf({}), null);
    assert.equal(reasonOf({ reason: null }), null);
    assert.equal(reasonOf({ reason: { code: "silenced" } }), null);
    assert.deepEqual(reasonOf({ reason: { code: "silenced", message: "Silenced by sil_1", silenceId: "sil_1" } }), {
      code: "silenced",
      message: "Silenced by sil_1",
      silenceId: "sil_1",
    });
    assert.deepEqual(reasonOf({ reason: { code: "folded", message: "Folded", digestId: "dg_1", silenceId: null } }), {
      code: "folded",
      message: "Folded",
      digestId: "dg_1",
    });
  });
});

describe("web console: the silence form", () => {
  it("fills itself in from the address, and writes the address from a delivery or an endpoint", () => {
    const search = prefillSearch({ type: "alert.fired", fingerprint: "db 1", endpointId: "ep_1" });
    assert.equal(search, "type=alert.fired&fingerprint=db+1&endpoint=ep_1");
    const f = formFromSearch(search, "Europe/Berlin");
    assert.equal(f.type, "alert.fired");
    assert.equal(f.fingerprint, "db 1");
    assert.equal(f.scope, "endpoints");
    assert.deepEqual(f.endpointIds, ["ep_1"]);
    assert.equal(f.kind, "once");
    assert.equal(prefillSearch({ fingerprint: null, endpointId: "ep_2", recurring: true }), "endpoint=ep_2&recurring=1");
    const w = formFromSearch("endpoint=ep_2&recurring=1", "Europe/Berlin");
    assert.equal(w.kind, "recurring");
    assert.equal(w.endMode, "never");
    assert.equal(w.timeZone, "Europe/Berlin");
    assert.equal(formFromSearch("").scope, "tenant");
  });

  it("makes a one-off silence starting now with a duration, its matchers from the fields", () => {
    const f = { ...newSilenceForm("UTC"), type: "alert.fired", fingerprint: " db-1 ", comment: " deploy ", scope: "endpoints" as const, endpointIds: ["ep_1"] };
    assert.deepEqual(formToSilenceBody(f), {
      body: { comment: "deploy", matchers: { type: "alert.fired", fingerprint: "db-1" }, endpointIds: ["ep_1"], duration: "2h" },
    });
  });

  it("writes a type family as a prefix, severities as one value or a list, and merges the extra conditions", () => {
    const f = { ...newSilenceForm("UTC"), type: "alert.*", severities: ["high" as const], comment: "x", conditions: '{"payload.env": "dev"}' };
    assert.deepEqual(formToSilenceBody(f).body?.matchers, { type: { $prefix: "alert." }, severity: "high", "payload.env": "dev" });
    const g = { ...f, type: "*", severities: ["critical" as const, "low" as const], conditions: '{"severity": "info"}' };
    assert.deepEqual(formToSilenceBody(g).body?.matchers, { $and: [{ severity: { $in: ["low", "critical"] } }, { severity: "info" }] });
    assert.equal(formToSilenceBody({ ...f, type: "", severities: [], conditions: "" }).body?.matchers, undefined);
  });

  it("makes a silence between two times, sent as UTC", () => {
    const f = {
      ...newSilenceForm("UTC"),
      comment: "x",
      startMode: "at" as const,
      startsAt: "2026-12-06T10:00",
      endMode: "at" as const,
      endsAt: "2026-12-06T09:00",
    };
    const body = formToSilenceBody(f).body!;
    assert.equal(body.startsAt, new Date("2026-12-06T10:00").toISOString());
    // An end before the start is the server's to refuse (and the form shows its answer at the field).
    assert.equal(body.endsAt, new Date("2026-12-06T09:00").toISOString());
    assert.equal(body.duration, undefined);
    assert.equal(isoToLocal(localToIso("2026-12-06T10:00")!), "2026-12-06T10:00");
    assert.equal(localToIso("tomorrow"), null);
  });

  it("makes a recurring silence with its schedule, with or without an end", () => {
    const f = { ...formFromSearch("endpoint=ep_2&recurring=1", "Europe/Berlin"), comment: "patch night", days: ["sun" as const, "sat" as const] };
    assert.deepEqual(formToSilenceBody(f), {
      body: {
        comment: "patch night",
        endpointIds: ["ep_2"],
        schedule: { days: ["sat", "sun"], start: "02:00", end: "04:00", timeZone: "Europe/Berlin" },
      },
    });
    const until = formToSilenceBody({ ...f, endMode: "at", endsAt: "2027-01-01T00:00" }).body!;
    assert.equal(until.endsAt, new Date("2027-01-01T00:00").toISOString());
    assert.equal(until.duration, undefined);
  });

  it("names every field the form can check itself, at once", () => {
    const f = {
      ...newSilenceForm("UTC"),
      type: "alert fired",
      conditions: "{nope",
      scope: "endpoints" as const,
      duration: "2 weeks",
      kind: "once" as const,
      startMode: "at" as const,
    };
    const { errors } = formToSilenceBody(f);
    assert.deepEqual(Object.keys(errors ?? {}).sort(), ["comment", "conditions", "duration", "endpointIds", "startsAt", "type"]);
    const r = formToSilenceBody({ ...newSilenceForm("UTC"), comment: "x", kind: "recurring", days: [], windowStart: "25:00", windowEnd: "4", timeZone: " " });
    assert.deepEqual(Object.keys(r.errors ?? {}).sort(), ["days", "timeZone", "windowEnd", "windowStart"]);
    assert.match(formToSilenceBody({ ...newSilenceForm("UTC"), comment: "x", conditions: "[]" }).errors?.conditions ?? "", /JSON object/);
  });

  it("puts the API's errors at the fields they name, in the form's current mode", () => {
    assert.equal(silenceFieldForPath("/matchers/type"), "type");
    assert.equal(silenceFieldForPath("/matchers/severity/$in/0"), "severities");
    assert.equal(silenceFieldForPath("/matchers/payload.score/$gt"), "conditions");
    assert.equal(silenceFieldForPath("/schedule/timeZone"), "timeZone");
    assert.equal(silenceFieldForPath("/schedule/start"), "windowStart");
    assert.equal(silenceFieldForPath("/endpointIds/0"), "endpointIds");
    assert.equal(silenceFieldForPath("/nope"), null);
    const problem = {
      detail: "2 problems",
      errors: [
        { path: "/endsAt", message: "must be after startsAt" },
        { path: "/comment", message: "is too long" },
        { path: "/extra", message: "is not allowed" },
      ],
    };
    const at = { ...newSilenceForm("UTC"), endMode: "at" as const };
    assert.deepEqual(problemToSilenceErrors(problem, at), { endsAt: "must be after the start", comment: "is too long", form: "/extra: is not allowed" });
    // Given as a duration, the end the server computed is refused at the duration field.
    assert.equal(problemToSilenceErrors(problem, newSilenceForm("UTC")).duration, "must be after the start");
    assert.equal(
      problemToSilenceErrors({ errors: [{ path: "/endsAt", message: "a one-off silence needs endsAt or duration" }] }).endsAt,
      "a one-off silence needs the end or duration",
    );
    assert.deepEqual(problemToSilenceErrors({ detail: "Not allowed" }), { form: "Not allowed" });
  });
});
