import type { AlertState, LifecycleSettings } from "./types.ts";

/** The longest fingerprint, in bytes of UTF-8. */
export const FINGERPRINT_MAX_BYTES = 256;

/** The rule of fingerprints in words, for the API document and its reference. */
export const FINGERPRINT_RULE =
  `Any Unicode text of 1 to ${FINGERPRINT_MAX_BYTES} bytes in UTF-8, compared exactly (no normalisation): spaces inside are fine; ` +
  "no control characters (U+0000–U+001F, U+007F–U+009F), no lone surrogates, no white space at either end, and not `.` or `..`";

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/** Unicode White_Space, and U+FEFF (a byte order mark copied along with a key). */
const EDGE_SPACE = /^\s$/u;

/**
 * What is wrong with a fingerprint, in words; null when it is a valid one. A fingerprint is the
 * key a vendor already has for its alert (Netography's cachekey holds a space), so any text will
 * do except: control characters (C0, DEL, C1), which no log or terminal shows faithfully and
 * PostgreSQL cannot store (NUL); lone surrogates, which are not text and have no UTF-8 form; white
 * space at either end, which is almost always a copying mistake; `.` and `..`, which name no alert
 * in GET …/alerts/{fingerprint} because URLs fold them away as dot segments; and more than
 * FINGERPRINT_MAX_BYTES bytes of UTF-8. Positions count characters (code points) from 1. Nothing
 * is normalised: two spellings of one character are two fingerprints.
 */
export function fingerprintProblem(value: string): string | null {
  if (value === "") return "must not be empty";
  let position = 0;
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    position++;
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
        continue;
      }
    }
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    if (unit >= 0xd800 && unit <= 0xdfff)
      return `contains a lone surrogate ${hex(unit)} at position ${position}: a fingerprint must be well-formed Unicode text`;
    if (unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f)) return `contains a control character ${hex(unit)} at position ${position}`;
  }
  const first = value.codePointAt(0) ?? 0;
  const last = value.codePointAt(value.length - 1) ?? 0;
  if (EDGE_SPACE.test(String.fromCodePoint(first)))
    return `begins with white space (${hex(first)}); leading and trailing white space is refused as a likely mistake`;
  if (EDGE_SPACE.test(String.fromCodePoint(last)))
    return `ends with white space (${hex(last)}); leading and trailing white space is refused as a likely mistake`;
  if (value === "." || value === "..") return 'must not be "." or "..", which URLs fold away as dot segments';
  if (bytes > FINGERPRINT_MAX_BYTES) return `is ${bytes} bytes in UTF-8; at most ${FINGERPRINT_MAX_BYTES}`;
  return null;
}

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
