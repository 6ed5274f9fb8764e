import { fingerprintProblem } from "../core/alerts.ts";
import { invalid } from "../core/errors.ts";
import { EVENT_TYPE_NAME } from "../core/event-types.ts";
import type { Severity } from "../core/types.ts";
import type { EventInput } from "./events.ts";

// Prometheus Alertmanager's webhook notification (version 4) mapped to Tocsin events: one event
// per alert, in the order Alertmanager lists them.

export const DEFAULT_TYPE_LABEL = "alertname";

/** Prometheus label names; a `typeLabel` must be one. */
export const LABEL_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";

export type AlertmanagerStatus = "firing" | "resolved";

export interface AlertmanagerAlert {
  status: AlertmanagerStatus;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint: string;
  [field: string]: unknown;
}

/** The fields this mapping reads; Alertmanager sends more (receiver, groupKey, …), kept as received. */
export interface AlertmanagerMessage {
  version: "4";
  status: AlertmanagerStatus;
  alerts: AlertmanagerAlert[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  [field: string]: unknown;
}

/** Values of the `severity` label, lower-cased; anything else means no severity. */
const SEVERITY_LABELS: Record<string, Severity> = {
  critical: "critical",
  error: "high",
  high: "high",
  warning: "medium",
  warn: "medium",
  medium: "medium",
  low: "low",
  info: "info",
  none: "info",
};

/** The severity a `severity` label value stands for, case-insensitively; undefined: none. */
export function severityOf(label: string | undefined): Severity | undefined {
  if (label === undefined) return undefined;
  const key = label.toLowerCase();
  return Object.hasOwn(SEVERITY_LABELS, key) ? SEVERITY_LABELS[key] : undefined;
}

const eventTypeName = new RegExp(EVENT_TYPE_NAME);

/** RFC 6901 escaping of one JSON Pointer segment. */
const pointerSegment = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * The events of one notification. `message` is the body as plain JSON values (labels are read
 * from it); `source` is the same body as parsed with number and string source text kept, and
 * becomes the payloads, so receivers get the text Alertmanager sent. An alert without the type
 * label, or whose value is not an event type name, is a 400 naming that label; a fingerprint that
 * breaks the rule of fingerprints (core/alerts.ts) is a 400 naming it.
 */
export function alertmanagerEvents(message: AlertmanagerMessage, typeLabel: string = DEFAULT_TYPE_LABEL, source: unknown = message): EventInput[] {
  const raw = source as { alerts: Record<string, unknown>[]; commonLabels?: unknown; commonAnnotations?: unknown };
  return message.alerts.map((alert, i) => {
    const path = `/alerts/${i}/labels/${pointerSegment(typeLabel)}`;
    const type = Object.hasOwn(alert.labels, typeLabel) ? alert.labels[typeLabel] : undefined;
    if (type === undefined) {
      throw invalid(path, `the alert has no ${typeLabel} label, which names its event type (choose another label with ?typeLabel=)`);
    }
    if (type.length > 200 || !eventTypeName.test(type)) {
      throw invalid(path, "must be an event type name: dot-separated segments of letters, digits, _ and -, at most 200 characters");
    }
    const problem = fingerprintProblem(alert.fingerprint);
    if (problem) throw invalid(`/alerts/${i}/fingerprint`, problem);
    const event: EventInput = {
      type,
      fingerprint: alert.fingerprint,
      state: alert.status === "firing" ? "start" : "end",
      payload: { ...raw.alerts[i], commonLabels: raw.commonLabels ?? {}, commonAnnotations: raw.commonAnnotations ?? {} },
    };
    const severity = severityOf(Object.hasOwn(alert.labels, "severity") ? alert.labels.severity : undefined);
    if (severity) event.severity = severity;
    return event;
  });
}
