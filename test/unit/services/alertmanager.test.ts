import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../../src/core/errors.ts";
import { parseJsonKeepingSource } from "../../../src/core/json.ts";
import { type AlertmanagerAlert, type AlertmanagerMessage, alertmanagerEvents, severityOf } from "../../../src/services/alertmanager.ts";

const alert = (labels: Record<string, string>, extra: Partial<AlertmanagerAlert> = {}): AlertmanagerAlert => ({
  status: "firing",
  labels: { alertname: "DiskFull", ...labels },
  annotations: { summary: "disk almost full" },
  startsAt: "2024-05-01T10:00:00.123456789Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "http://prometheus.example:9090/graph?g0.expr=disk&g0.tab=1",
  fingerprint: "a1b2c3d4e5f60718",
  ...extra,
});

const message = (alerts: AlertmanagerAlert[], extra: Partial<AlertmanagerMessage> = {}): AlertmanagerMessage => ({
  receiver: "tocsin",
  status: "firing",
  alerts,
  groupLabels: { alertname: "DiskFull" },
  commonLabels: { alertname: "DiskFull", team: "storage" },
  commonAnnotations: { runbook: "https://runbooks.example/disk" },
  externalURL: "http://alertmanager.example:9093",
  version: "4",
  groupKey: '{}:{alertname="DiskFull"}',
  truncatedAlerts: 0,
  ...extra,
});

/** The 400 the mapping throws, as [path, message]. */
function refusal(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.code, "validation_failed");
    return [e.errors![0].path, e.errors![0].message];
  }
  assert.fail("expected a 400");
}

describe("severityOf: the severity label", () => {
  const table: [string, string | undefined][] = [
    ["critical", "critical"],
    ["error", "high"],
    ["high", "high"],
    ["warning", "medium"],
    ["warn", "medium"],
    ["medium", "medium"],
    ["low", "low"],
    ["info", "info"],
    ["none", "info"],
    ["page", undefined],
    ["p1", undefined],
    ["", undefined],
    ["crit", undefined],
    [" critical", undefined],
    ["toString", undefined],
    ["__proto__", undefined],
  ];
  for (const [label, want] of table) {
    it(`maps ${JSON.stringify(label)} to ${want ?? "no severity"}`, () => assert.equal(severityOf(label), want));
  }

  it("ignores case", () => {
    for (const [label, want] of [
      ["CRITICAL", "critical"],
      ["Critical", "critical"],
      ["ERROR", "high"],
      ["High", "high"],
      ["Warning", "medium"],
      ["WARN", "medium"],
      ["MeDiUm", "medium"],
      ["LOW", "low"],
      ["Info", "info"],
      ["NONE", "info"],
    ]) {
      assert.equal(severityOf(label), want, label);
    }
  });

  it("gives no severity without a label", () => assert.equal(severityOf(undefined), undefined));
});

describe("alertmanagerEvents", () => {
  it("makes one event per alert, in order, with Alertmanager's fingerprint", () => {
    const events = alertmanagerEvents(
      message([
        alert({ severity: "critical" }, { fingerprint: "1111111111111111" }),
        alert({ alertname: "CpuHot", severity: "Warning" }, { fingerprint: "2222222222222222" }),
        alert({ alertname: "Heartbeat" }, { fingerprint: "3333333333333333" }),
      ]),
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.fingerprint, e.severity]),
      [
        ["DiskFull", "1111111111111111", "critical"],
        ["CpuHot", "2222222222222222", "medium"],
        ["Heartbeat", "3333333333333333", undefined],
      ],
    );
    assert.equal("severity" in events[2], false, "no severity label: the field is left out");
  });

  it("maps firing to start and resolved to end, whatever the group's status", () => {
    const events = alertmanagerEvents(
      message([alert({}, { status: "firing" }), alert({}, { status: "resolved", endsAt: "2024-05-01T10:05:00Z" })], { status: "firing" }),
    );
    assert.deepEqual(
      events.map((e) => e.state),
      ["start", "end"],
    );
    const resolved = alertmanagerEvents(message([alert({}, { status: "resolved" })], { status: "resolved" }));
    assert.equal(resolved[0].state, "end");
  });

  it("leaves severities other than the table's out", () => {
    for (const severity of ["page", "P1", "sev2", "unknown"]) {
      const [e] = alertmanagerEvents(message([alert({ severity })]));
      assert.equal(e.severity, undefined, severity);
    }
  });

  it("takes the type from another label when asked", () => {
    const events = alertmanagerEvents(message([alert({ event_type: "storage.disk.full" }), alert({ event_type: "cpu_hot-1" })]), "event_type");
    assert.deepEqual(
      events.map((e) => e.type),
      ["storage.disk.full", "cpu_hot-1"],
    );
  });

  it("refuses an alert without the type label, naming the label", () => {
    const [path, msg] = refusal(() => alertmanagerEvents(message([alert({}), alert({}), alert({}, { labels: { severity: "low" } })])));
    assert.equal(path, "/alerts/2/labels/alertname");
    assert.match(msg, /alertname/);
    assert.match(msg, /typeLabel/);
    assert.deepEqual(refusal(() => alertmanagerEvents(message([alert({})]), "event_type"))[0], "/alerts/0/labels/event_type");
  });

  it("refuses a type label value that is not an event type name", () => {
    for (const bad of ["", "job:cpu:rate5m", "Disk Full", "a..b", ".a", "a.", "é", "x".repeat(201)]) {
      const [path, msg] = refusal(() => alertmanagerEvents(message([alert({}), alert({ alertname: bad })])));
      assert.equal(path, "/alerts/1/labels/alertname", bad);
      assert.match(msg, /event type name/);
    }
    assert.equal(alertmanagerEvents(message([alert({ alertname: "x".repeat(200) })]))[0].type.length, 200);
  });

  it("does not take the type from an inherited property", () => {
    assert.equal(refusal(() => alertmanagerEvents(message([alert({})]), "constructor"))[0], "/alerts/0/labels/constructor");
  });

  it("escapes the label name in the error's JSON Pointer", () => {
    assert.equal(refusal(() => alertmanagerEvents(message([alert({})]), "a/b~c"))[0], "/alerts/0/labels/a~1b~0c");
  });

  it("makes the payload the alert as received plus the group's common labels and annotations", () => {
    const a = alert({ severity: "high", instance: "db-1:9100" }, { extraField: { nested: [1, 2] } });
    const m = message([a]);
    const [e] = alertmanagerEvents(m);
    assert.deepEqual(e.payload, {
      ...a,
      commonLabels: { alertname: "DiskFull", team: "storage" },
      commonAnnotations: { runbook: "https://runbooks.example/disk" },
    });
    // Group-level fields other than the common labels and annotations stay out of the payload.
    for (const f of ["receiver", "groupLabels", "externalURL", "version", "groupKey", "truncatedAlerts"]) assert.equal(f in (e.payload as object), false, f);
    assert.equal(e.idempotencyKey, undefined);
  });

  it("gives empty common labels and annotations when the body has none", () => {
    const m = message([alert({})]);
    delete m.commonLabels;
    delete m.commonAnnotations;
    const [e] = alertmanagerEvents(m);
    assert.deepEqual((e.payload as { commonLabels: unknown }).commonLabels, {});
    assert.deepEqual((e.payload as { commonAnnotations: unknown }).commonAnnotations, {});
  });

  it("takes payloads from the source form, keeping the text as Alertmanager sent it", () => {
    const text =
      '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Disk\\u0046ull","severity":"\\u0063ritical"},' +
      '"annotations":{"value":"1.50"},"generatorURL":"http://p/graph?a=1\\u0026b=2","fingerprint":"f0","ratio":0.10}],' +
      '"commonLabels":{"job":"node\\u003cx\\u003e"},"commonAnnotations":{}}';
    const source = parseJsonKeepingSource(text);
    const plain = JSON.parse(text) as AlertmanagerMessage;
    const [e] = alertmanagerEvents(plain, "alertname", source);
    assert.equal(e.type, "DiskFull", "the type and severity come from the decoded labels");
    assert.equal(e.severity, "critical");
    assert.equal(
      JSON.stringify(e.payload),
      '{"status":"firing","labels":{"alertname":"Disk\\u0046ull","severity":"\\u0063ritical"},"annotations":{"value":"1.50"},' +
        '"generatorURL":"http://p/graph?a=1\\u0026b=2","fingerprint":"f0","ratio":0.10,"commonLabels":{"job":"node\\u003cx\\u003e"},"commonAnnotations":{}}',
    );
  });
});
