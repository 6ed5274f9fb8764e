import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlertRow, stepAlert } from "../../../src/core/alerts.ts";
import {
  FLAPPING_DEFAULTS,
  type FlapMemory,
  type FlappingSettings,
  NO_FLAP_MEMORY,
  flapMessage,
  flappingNotice,
  isFlapping,
  parseFlapHold,
  parseStarts,
  stepFlapping,
  transitionOf,
} from "../../../src/core/flapping.ts";
import type { AlertState } from "../../../src/core/types.ts";

const T0 = 1_700_000_000_000;
const S = 1000;
const MIN = 60_000;
const small: FlappingSettings = { transitions: 2, windowMin: 1, stableSec: 2 };

/** One endpoint's view of a run of alert events: for each, whether it was held, and the onset when there was one. */
function run(s: FlappingSettings | null, events: [AlertState, number][], start: { alert?: AlertRow | null; mem?: FlapMemory } = {}) {
  let alert = start.alert ?? null;
  let mem = start.mem ?? NO_FLAP_MEMORY;
  const out: { state: string; held: boolean; onset: boolean; write: unknown }[] = [];
  for (const [incoming, at] of events) {
    const step = stepAlert(alert, incoming, at);
    alert = step.next;
    const d = stepFlapping(s, mem, step, at);
    mem = d.next;
    out.push({ state: step.state, held: d.held, onset: d.onset !== null, write: d.write });
  }
  return { out, mem };
}

/** start, end, start, end, ... `n` events one second apart from `t`. */
const flap = (n: number, t = T0, gap = S): [AlertState, number][] => Array.from({ length: n }, (_, i) => [i % 2 === 0 ? "start" : "end", t + i * gap]);

describe("transitionOf", () => {
  it("a start or the first update after an end opens the alert; an end ends it; a repeated end and an update of an open alert do neither", () => {
    const open: AlertRow = { status: "open", startedAt: T0, endedAt: null, updateCount: 1 };
    const resolved: AlertRow = { status: "resolved", startedAt: T0, endedAt: T0 + S, updateCount: 2 };
    assert.deepEqual(transitionOf(stepAlert(null, "start", T0)), { opened: true, ended: false });
    assert.deepEqual(transitionOf(stepAlert(resolved, "start", T0)), { opened: true, ended: false });
    assert.deepEqual(transitionOf(stepAlert(resolved, "ongoing", T0)), { opened: true, ended: false });
    assert.deepEqual(transitionOf(stepAlert(open, "start", T0)), { opened: false, ended: false });
    assert.deepEqual(transitionOf(stepAlert(open, "ongoing", T0)), { opened: false, ended: false });
    assert.deepEqual(transitionOf(stepAlert(open, "end", T0)), { opened: false, ended: true });
    assert.deepEqual(transitionOf(stepAlert(resolved, "end", T0)), { opened: false, ended: false });
  });
});

describe("isFlapping", () => {
  it("needs more than `transitions` restarts, so transitions + 2 starts, the newest transitions + 1 within the window", () => {
    assert.equal(isFlapping([T0, T0 + S, T0 + 2 * S], small, T0 + 2 * S), false, "two restarts are not more than two");
    assert.equal(isFlapping([T0, T0 + S, T0 + 2 * S, T0 + 3 * S], small, T0 + 3 * S), true);
    // The first start may lie outside the window: it only says that the next one is a restart.
    assert.equal(isFlapping([T0 - 10 * MIN, T0, T0 + S, T0 + 2 * S], small, T0 + 2 * S), true);
    assert.equal(isFlapping([T0, T0 + S, T0 + 2 * S, T0 + MIN + 2 * S], small, T0 + MIN + 2 * S), false, "the oldest counted restart left the window");
    assert.equal(isFlapping([T0, T0 + S, T0 + 2 * S, T0 + MIN], small, T0 + MIN), true, "the window's edge is inside it");
  });
});

describe("stepFlapping", () => {
  it("sends the first pairs, holds the start that makes the alert flapping and everything after it", () => {
    const { out } = run(small, flap(7));
    assert.deepEqual(
      out.map((o) => [o.state, o.held, o.onset]),
      [
        ["start", false, false],
        ["end", false, false],
        ["start", false, false],
        ["end", false, false],
        ["start", false, false],
        ["end", false, false],
        ["start", true, true],
      ],
    );
    const longer = run(small, flap(10)).out;
    assert.deepEqual(
      longer.slice(6).map((o) => [o.held, o.onset]),
      [
        [true, true],
        [true, false],
        [true, false],
        [true, false],
      ],
      "one onset, then held",
    );
  });

  it("never holds an alert that does not restart more than `transitions` times within the window", () => {
    assert.ok(run(small, flap(6)).out.every((o) => !o.held));
    // Seven starts, each restart 40 s after the one before: never three within a minute.
    assert.ok(run(small, flap(14, T0, 20 * S)).out.every((o) => !o.held));
    assert.ok(
      run(FLAPPING_DEFAULTS, flap(12, T0, S)).out.every((o) => !o.held),
      "six starts are five restarts: not more than five",
    );
    assert.equal(run(FLAPPING_DEFAULTS, flap(13, T0, S)).out[12]!.held, true, "the sixth restart is");
  });

  it("begins the hold at the onset for stableSec, and moves its end with every start or end, not with updates", () => {
    let mem: FlapMemory = NO_FLAP_MEMORY;
    let alert: AlertRow | null = null;
    const at = (state: AlertState, t: number) => {
      const step = stepAlert(alert, state, t);
      alert = step.next;
      const d = stepFlapping(small, mem, step, t);
      mem = d.next;
      return d;
    };
    for (const [state, t] of flap(6)) at(state, t);
    const onset = at("start", T0 + 6 * S);
    assert.deepEqual(onset.onset, { transitions: 3, heldSince: T0 + 6 * S, until: T0 + 8 * S });
    assert.deepEqual(onset.write, { code: "flapping", message: flapMessage(small), until: T0 + 8 * S, always: true });
    assert.deepEqual(onset.reason, { code: "flapping", message: flapMessage(small) });
    const update = at("ongoing", T0 + 7 * S);
    assert.equal(update.held, true);
    assert.equal(update.write, undefined, "an update leaves the hold as it is");
    assert.equal(mem.hold?.until, T0 + 8 * S);
    const end = at("end", T0 + 7_500);
    assert.equal(end.held, true);
    assert.equal((end.write as { until: number }).until, T0 + 9_500);
    assert.equal(mem.until, T0 + 9_500);
    const restart = at("start", T0 + 9_000);
    assert.equal(restart.held, true);
    assert.equal(restart.onset, null, "one notice an episode");
    assert.equal(mem.hold?.until, T0 + 11_000);
  });

  it("ends the episode when the alert was stable for stableSec: the event goes out, the hold is lifted and the count starts afresh", () => {
    const { mem } = run(small, flap(7));
    assert.equal(mem.hold?.until, T0 + 8 * S);
    // The release may not have run yet: the hold is still on the row, but its time is over.
    const late = run(small, [["end", T0 + 8 * S]], { alert: { status: "open", startedAt: T0 + 6 * S, endedAt: null, updateCount: 0 }, mem });
    assert.deepEqual(late.out, [{ state: "end", held: false, onset: false, write: null }]);
    assert.deepEqual(late.mem, { starts: [], until: null, hold: null });
    // After the release lifted the hold (held is null, the row still has its until): the count starts afresh too.
    const released = run(small, flap(7, T0 + 20 * S), {
      alert: { status: "resolved", startedAt: T0, endedAt: T0 + S, updateCount: 0 },
      mem: { ...mem, hold: null },
    });
    assert.deepEqual(
      released.out.map((o) => o.held),
      [false, false, false, false, false, false, true],
      "it has to restart more than twice again",
    );
    assert.equal(released.out[0]!.write, undefined, "no hold of its own to lift");
  });

  it("holds nothing without a setting, and lifts a flapping hold left from when it had one", () => {
    assert.ok(run(null, flap(20)).out.every((o) => !o.held && o.write === undefined));
    const { mem } = run(small, flap(7));
    const off = stepFlapping(null, mem, stepAlert({ status: "open", startedAt: T0, endedAt: null, updateCount: 0 }, "end", T0 + 7 * S), T0 + 7 * S);
    assert.equal(off.held, false);
    assert.equal(off.write, null);
    assert.deepEqual(off.next, { starts: [], until: null, hold: null });
  });

  it("keeps at most transitions + 2 starts", () => {
    const { mem } = run(small, flap(30, T0, 40 * S));
    assert.equal(mem.starts.length, 4);
    assert.deepEqual(mem.starts, [T0 + 22 * 40 * S, T0 + 24 * 40 * S, T0 + 26 * 40 * S, T0 + 28 * 40 * S]);
  });
});

describe("stored forms", () => {
  it("reads starts and a flapping hold, and takes another control's hold for none", () => {
    assert.deepEqual(parseStarts(null), []);
    assert.deepEqual(parseStarts("[1,2,3]"), [1, 2, 3]);
    assert.equal(parseFlapHold(null), null);
    assert.equal(parseFlapHold(JSON.stringify({ code: "silenced", message: "m", silenceId: "sil_1" })), null);
    assert.deepEqual(parseFlapHold(JSON.stringify({ code: "flapping", message: "m", until: 5, always: true })), {
      code: "flapping",
      message: "m",
      until: 5,
      always: true,
    });
  });
});

describe("flappingNotice", () => {
  it("names the tenant, the endpoint without its query, the alert and the counts", () => {
    const ep = { id: "ep_1", tenantId: "acme", name: "hook", url: "https://example.com/in?token=secret" };
    const n = flappingNotice(ep, "disk-full db-1", small, { transitions: 3, heldSince: T0, until: T0 + 2 * S });
    assert.deepEqual(n, {
      type: "tocsin.alert.flapping",
      tenantId: "acme",
      payload: {
        tenantId: "acme",
        endpoint: { id: "ep_1", name: "hook", url: "https://example.com/in" },
        fingerprint: "disk-full db-1",
        transitions: 3,
        windowMin: 1,
        stableSec: 2,
        heldSince: new Date(T0).toISOString(),
      },
    });
  });
});
