import type { AlertState, LifecycleSettings } from "./types.ts";

/**
 * A fingerprint: printable ASCII without spaces, but not `.` or `..`, which name no alert in
 * GET …/alerts/{fingerprint} because URLs fold them away as dot segments. No lookahead, which
 * some OpenAPI tools cannot read.
 */
export const FINGERPRINT_PATTERN = "^(?:[\\x21-\\x2d\\x2f-\\x7e][\\x21-\\x7e]*|\\.(?:[\\x21-\\x2d\\x2f-\\x7e][\\x21-\\x7e]*|\\.[\\x21-\\x7e]+))$";

/** An alert as tracked per (tenant, fingerprint). */
export interface AlertRow {
  status: "open" | "resolved";
  startedAt: number;
  endedAt: number | null;
  updateCount: number;
}

export interface AlertStep {
  /** The state the event is stored and delivered with. */
  state: AlertState;
  /** The alert after this event. */
  next: AlertRow;
  /** An end for an alert that is already resolved: stored, delivered to nobody. */
  repeatedEnd: boolean;
}

/**
 * How one event moves its alert along:
 * - start opens an alert; a start for an alert that is open counts as ongoing;
 * - ongoing updates an open alert, or opens one that is unknown or resolved (kept as ongoing);
 * - end resolves an open alert; an end for an unknown alert is accepted and delivered once (it
 *   is recorded resolved), and a further end for a resolved one is delivered to nobody.
 * Every event after the one that opened the alert counts as an update.
 */
export function stepAlert(prev: AlertRow | null, incoming: AlertState, now: number): AlertStep {
  const open = prev !== null && prev.status === "open";
  if (incoming === "end") {
    if (open) return { state: "end", next: { ...prev, status: "resolved", endedAt: now, updateCount: prev.updateCount + 1 }, repeatedEnd: false };
    if (prev !== null) return { state: "end", next: { ...prev, updateCount: prev.updateCount + 1 }, repeatedEnd: true };
    return { state: "end", next: { status: "resolved", startedAt: now, endedAt: now, updateCount: 0 }, repeatedEnd: false };
  }
  if (open) return { state: "ongoing", next: { ...prev, updateCount: prev.updateCount + 1 }, repeatedEnd: false };
  return { state: incoming, next: { status: "open", startedAt: now, endedAt: null, updateCount: 0 }, repeatedEnd: false };
}

/**
 * Whether an endpoint gets this alert event: `end` only with sendResolved, and `ongoing` at most
 * once per ongoingIntervalSec since the last update the endpoint was sent (0: every update).
 */
export function shouldSend(l: LifecycleSettings, step: AlertStep, lastSentAt: number | null, now: number): boolean {
  if (step.repeatedEnd) return false;
  if (step.state === "end") return l.sendResolved;
  if (step.state === "ongoing" && l.ongoingIntervalSec > 0 && lastSentAt !== null) return now - lastSentAt >= l.ongoingIntervalSec * 1000;
  return true;
}
