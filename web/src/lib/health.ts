/**
 * What the console says about an endpoint's health and a delivery's wait, from the API's fields
 * (health.status, health.circuitUntil, waitingFor). The thresholds are the server's
 * (src/core/health.ts); these functions only word them.
 */

/** The endpoint fields the wording reads. */
export interface EndpointHealthFacts {
  status: string;
  health: { status: "healthy" | "degraded" | "failing" | "unknown"; circuit: string; circuitUntil: string | null };
}

/** A badge: `tone` picks its colour (ui.tsx STATUS_TONE), `label` is its text, `detail` a sentence for a tooltip or a note. */
export interface HealthBadge {
  tone: "active" | "degraded" | "failing" | "disabled" | "pending_validation" | "validation_failed";
  label: string;
  detail: string | null;
}

/** `10:32:05` today, `Dec 7, 10:32` on another day: a time the reader can act on. */
export function clockTime(iso: string, now: number, timeZone?: string): string {
  const d = new Date(iso);
  const sameDay = new Date(now).toDateString() === d.toDateString() && Math.abs(d.getTime() - now) < 86_400_000;
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone })
    : d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone });
}

/** `in 5 s`, `in 4 min`; a time already reached is `any moment now`, never `8 s ago`. */
export function untilText(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (ms < 1000) return "any moment now";
  if (ms < 60_000) return `in ${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `in ${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `in ${Math.round(ms / 3_600_000)} h`;
  return `in ${Math.round(ms / 86_400_000)} d`;
}

/**
 * The endpoint's badge: disabled and validation states first (the API's status), then the
 * circuit (open: when the next probe goes), then failing / degraded from health.status, else active.
 */
export function healthBadge(e: EndpointHealthFacts, now: number, timeZone?: string): HealthBadge {
  if (e.status === "disabled" || e.status === "pending_validation" || e.status === "validation_failed") {
    return { tone: e.status, label: e.status.replaceAll("_", " "), detail: null };
  }
  const h = e.health;
  if (h.circuit === "open" && h.circuitUntil) {
    return {
      tone: "failing",
      label: `circuit open — next probe at ${clockTime(h.circuitUntil, now, timeZone)}`,
      detail: `Nothing is sent until then (${untilText(h.circuitUntil, now)}); then one delivery goes as a probe, and a success closes the circuit.`,
    };
  }
  if (h.circuit === "half_open")
    return { tone: "failing", label: "circuit half open — probing", detail: "One delivery is out as a probe; its result opens or closes the circuit." };
  if (h.status === "failing") return { tone: "failing", label: "failing", detail: "The last 3 or more attempts failed." };
  if (h.status === "degraded")
    return { tone: "degraded", label: "degraded", detail: "The last attempt failed, or under 90 % of the recent attempts succeeded." };
  return { tone: "active", label: "active", detail: null };
}

/** How many endpoints show each badge, for the overview (circuit-open ones count as failing). */
export function countByHealth(endpoints: readonly EndpointHealthFacts[], now: number): [HealthBadge["tone"], number][] {
  const order: HealthBadge["tone"][] = ["active", "degraded", "failing", "disabled", "pending_validation", "validation_failed"];
  const counts = new Map<HealthBadge["tone"], number>();
  for (const e of endpoints) {
    const t = healthBadge(e, now).tone;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return order.filter((t) => counts.has(t)).map((t) => [t, counts.get(t)!]);
}

export type WaitReason =
  "sending" | "endpoint_disabled" | "endpoint_validation" | "circuit_open" | "circuit_probe" | "retry" | "batch" | "scheduled" | "rate_limit" | "queue";

/** A pending or delivering delivery's wait in words: "retry at 10:32:05 (in 5 s)", "circuit open until …". */
export function waitingText(w: { reason: WaitReason; until: string | null }, now: number, timeZone?: string): string {
  const at = w.until ? `${clockTime(w.until, now, timeZone)} (${untilText(w.until, now)})` : "";
  switch (w.reason) {
    case "sending":
      return "being sent now";
    case "endpoint_disabled":
      return "waiting: the webhook is disabled";
    case "endpoint_validation":
      return "waiting: the webhook is not validated";
    case "circuit_open":
      return `waiting: circuit open until ${at}`;
    case "circuit_probe":
      return "waiting: the circuit's probe decides";
    case "retry":
      return `retry at ${at}`;
    case "batch":
      return `sent with its batch at ${at}`;
    case "scheduled":
      return `due at ${at}`;
    case "rate_limit":
      return `waiting: rate limit, next at ${at}`;
    case "queue":
      return "due now, waiting for a sender";
  }
}
