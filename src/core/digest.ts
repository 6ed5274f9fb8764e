import { createHash } from "node:crypto";
import type { DigestSettings } from "./types.ts";

// Digests (docs/alerts.md#digests): per endpoint and group key, the first event goes at once and
// opens a window of windowSec; the events of that key inside the window are folded into one
// digest, sent when the window ends, that lists the latest maxEvents of them and counts them all.
// An event after the window's end goes at once again and opens the next window.

export const DIGEST_DEFAULTS = { windowSec: 300, maxEvents: 100, groupBy: "fingerprint" } as const;
export const DIGEST_LIMITS = { minWindowSec: 10, maxWindowSec: 86_400, minMaxEvents: 1, maxMaxEvents: 1000, maxGroupByLength: 200 } as const;

/** Longer group keys are stored as their SHA-256 (a payload value can be long). */
const MAX_KEY_LENGTH = 200;

/** A window of one group key on one endpoint: [start, end), and the digest its folded events joined. */
export interface DigestWindow {
  start: number;
  end: number;
  /** Null until an event is folded in this window. */
  digestId: string | null;
}

/**
 * What happens to an event of a group key: "open" (no window is open: send it at once and open one
 * from now) or "fold" (a window is open: it joins the window's digest).
 */
export function digestStep(w: DigestWindow | null, now: number): "open" | "fold" {
  // Not `now >= start`: a process whose clock is a little behind another's still folds.
  return w !== null && now < w.end ? "fold" : "open";
}

/** The window an event opens at `now`. */
export function openWindow(s: DigestSettings, now: number): DigestWindow {
  return { start: now, end: now + s.windowSec * 1000, digestId: null };
}

/** The payload path of a groupBy ("payload.host" → ["host"]), or null for "fingerprint". */
export function groupPath(groupBy: string): string[] | null {
  return groupBy === "fingerprint" ? null : groupBy.split(".").slice(1);
}

/**
 * The group key of an event: its fingerprint, or the text of the payload value at the path
 * (strings as they are, other values as JSON). Null: the event is not digested (no fingerprint;
 * the path is missing or null).
 */
export function groupKey(path: string[] | null, fingerprint: string | null, payload: () => unknown): string | null {
  if (path === null) return fingerprint;
  let v: unknown = payload();
  for (const seg of path) {
    if (v === null || typeof v !== "object") return null;
    if (Array.isArray(v)) {
      if (!/^(0|[1-9]\d{0,8})$/.test(seg)) return null;
      v = v[Number(seg)];
    } else {
      if (!Object.hasOwn(v, seg)) return null;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  if (v === null || v === undefined) return null;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length <= MAX_KEY_LENGTH ? text : `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** Problems with a groupBy value, as a sentence; null when it is valid. */
export function groupByProblem(v: unknown): string | null {
  const hint = 'must be "fingerprint" or "payload.<path>", e.g. "payload.host"';
  if (typeof v !== "string") return hint;
  if (v === "fingerprint") return null;
  if (v.length > DIGEST_LIMITS.maxGroupByLength) return `must be at most ${DIGEST_LIMITS.maxGroupByLength} characters`;
  const segs = v.split(".");
  if (segs[0] !== "payload" || segs.length < 2) return hint;
  if (segs.some((s) => s === "")) return "has an empty segment: separate members with single dots (payload.asset.host)";
  return null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The reason of a delivery folded into a digest and listed in it. */
export function foldedMessage(digestId: string, windowEnd: number): string {
  return `Folded into digest ${digestId}, sent when its window ends at ${iso(windowEnd)}`;
}

/** The reason of a folded delivery the digest does not list (beyond maxEvents). */
export function unlistedMessage(digestId: string, maxEvents: number): string {
  return `Folded into digest ${digestId}, which counts it but lists only the latest ${maxEvents} events of its window`;
}
