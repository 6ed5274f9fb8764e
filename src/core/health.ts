/**
 * Endpoint health and the circuit breaker, as pure functions of the stored state, one attempt's
 * result and the time. The store applies them inside the transaction that records the attempt.
 *
 * closed ──N consecutive failures, or X % of the last M attempts in the window──▶ open (until now + cool-down)
 * open ──cool-down over: the next claim sends one probe──▶ half_open
 * half_open ──probe fails──▶ open (cool-down doubled, up to the maximum)
 * any ──an attempt succeeds──▶ closed
 * An endpoint whose attempts have all failed for `disableAfterMs` is disabled.
 */

export interface HealthPolicy {
  /** Consecutive failed attempts that open the circuit; 0: this rule is off. */
  failures: number;
  /** Failed share (percent) of the last `sample` attempts within `windowMs` that opens it; 0: off. */
  failureRatePct: number;
  sample: number;
  windowMs: number;
  cooldownMs: number;
  maxCooldownMs: number;
  /** Failing without a success for this long disables the endpoint; 0: never. */
  disableAfterMs: number;
}

export const DEFAULT_HEALTH_POLICY: Readonly<HealthPolicy> = Object.freeze({
  failures: 10,
  failureRatePct: 50,
  sample: 20,
  windowMs: 300_000,
  cooldownMs: 30_000,
  maxCooldownMs: 3_600_000,
  disableAfterMs: 5 * 86_400_000,
});

export type CircuitState = "closed" | "open" | "half_open";

export interface HealthState {
  consecutiveFailures: number;
  /** Latest attempts, oldest first: epoch ms, negated for a failure. At most `sample` (≤ 100) long. */
  recent: number[];
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailureReason: string | null;
  /** The first failure since the last success. */
  failingSince: number | null;
  circuit: CircuitState;
  /** While open: when the next probe may go. */
  circuitUntil: number | null;
  /** Failed probes since the circuit first opened, plus one; the cool-down doubles with each. */
  trips: number;
  /** The delivery or batch sent as the probe of a half-open circuit. */
  probeId: string | null;
}

export const INITIAL_HEALTH: Readonly<HealthState> = Object.freeze({
  consecutiveFailures: 0,
  recent: [],
  lastSuccessAt: null,
  lastFailureAt: null,
  lastFailureReason: null,
  failingSince: null,
  circuit: "closed",
  circuitUntil: null,
  trips: 0,
  probeId: null,
});

/** What a change of health tells the endpoint's owner and the operator. */
export type HealthNotice = "failing" | "recovered" | "disabled";

export interface AttemptResult {
  ok: boolean;
  /** For a failure: the error class and message, as shown to users. */
  reason: string | null;
  at: number;
  /** The id the attempt was sent under (delivery, or batch): compared with the probe's. */
  id: string;
}

export function cooldownFor(trips: number, p: HealthPolicy): number {
  return Math.min(p.cooldownMs * 2 ** Math.max(0, Math.min(trips - 1, 40)), p.maxCooldownMs);
}

/** Attempts within the window: how many, and how many failed. */
export function windowCounts(recent: readonly number[], now: number, windowMs: number): { attempts: number; failures: number } {
  let attempts = 0;
  let failures = 0;
  for (const t of recent) {
    if (Math.abs(t) <= now - windowMs) continue;
    attempts++;
    if (t < 0) failures++;
  }
  return { attempts, failures };
}

function tripped(h: HealthState, now: number, p: HealthPolicy): boolean {
  if (p.failures > 0 && h.consecutiveFailures >= p.failures) return true;
  if (p.failureRatePct <= 0) return false;
  const { attempts, failures } = windowCounts(h.recent, now, p.windowMs);
  return attempts >= p.sample && failures * 100 >= p.failureRatePct * attempts;
}

/** Applies one attempt's result. */
export function recordAttempt(h: Readonly<HealthState>, a: AttemptResult, p: HealthPolicy): { next: HealthState; notices: HealthNotice[] } {
  const keep = Math.max(1, Math.min(p.sample, 100));
  const recent = [...h.recent, a.ok ? a.at : -a.at].filter((t) => Math.abs(t) > a.at - p.windowMs);
  if (recent.length > keep) recent.splice(0, recent.length - keep);
  const notices: HealthNotice[] = [];
  if (a.ok) {
    const next: HealthState = { ...h, recent, consecutiveFailures: 0, failingSince: null, lastSuccessAt: a.at };
    if (h.circuit !== "closed") {
      Object.assign(next, { circuit: "closed", circuitUntil: null, trips: 0, probeId: null });
      notices.push("recovered");
    }
    return { next, notices };
  }
  const next: HealthState = {
    ...h,
    recent,
    consecutiveFailures: h.consecutiveFailures + 1,
    failingSince: h.failingSince ?? a.at,
    lastFailureAt: a.at,
    lastFailureReason: a.reason,
  };
  if (h.circuit === "half_open" && h.probeId === a.id) {
    // The probe failed: wait longer before the next one.
    next.trips = h.trips + 1;
    next.circuit = "open";
    next.circuitUntil = a.at + cooldownFor(next.trips, p);
    next.probeId = null;
  } else if (h.circuit === "closed" && tripped(next, a.at, p)) {
    next.circuit = "open";
    next.trips = 1;
    next.circuitUntil = a.at + cooldownFor(1, p);
    notices.push("failing");
  }
  // Attempts that were in flight when the circuit opened fail without changing it.
  if (p.disableAfterMs > 0 && a.at - next.failingSince! >= p.disableAfterMs) notices.push("disabled");
  return { next, notices };
}

/**
 * How many more requests the circuit lets through now, given those in flight: unlimited when
 * closed, none while open, one probe at a time once the cool-down is over.
 */
export function circuitRoom(h: Pick<HealthState, "circuit" | "circuitUntil"> | null, inflight: number, now: number): number {
  if (h === null || h.circuit === "closed") return Number.POSITIVE_INFINITY;
  if (h.circuit === "open" && (h.circuitUntil ?? 0) > now) return 0;
  return Math.max(0, 1 - inflight);
}

/** A token bucket refilled at `perSecond` up to `burst`; null tokens means a full bucket. */
export function refillTokens(tokens: number | null, at: number | null, perSecond: number, burst: number, now: number): number {
  if (tokens === null || at === null) return burst;
  return Math.min(burst, tokens + (Math.max(0, now - at) * perSecond) / 1000);
}

/** The health shown in the endpoint document. */
export interface HealthView {
  /** Share of successful attempts within the window; null when there were none. */
  successRate: number | null;
  windowAttempts: number;
  windowFailures: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailureReason: string | null;
  failingSince: number | null;
  circuit: CircuitState;
  circuitUntil: number | null;
  /** When the endpoint is disabled if it keeps failing; null while it is not failing or never disabled. */
  disableAt: number | null;
  /** In one word, from the fields above (see healthStatus). */
  status: HealthStatus;
}

export function healthView(h: Readonly<HealthState> | null, now: number, p: HealthPolicy): HealthView {
  const s = h ?? INITIAL_HEALTH;
  const { attempts, failures } = windowCounts(s.recent, now, p.windowMs);
  const view: Omit<HealthView, "status"> = {
    successRate: attempts === 0 ? null : Math.round(((attempts - failures) / attempts) * 1000) / 1000,
    windowAttempts: attempts,
    windowFailures: failures,
    consecutiveFailures: s.consecutiveFailures,
    lastSuccessAt: s.lastSuccessAt,
    lastFailureAt: s.lastFailureAt,
    lastFailureReason: s.lastFailureReason,
    failingSince: s.failingSince,
    circuit: s.circuit,
    circuitUntil: s.circuit === "open" ? s.circuitUntil : null,
    disableAt: s.failingSince !== null && p.disableAfterMs > 0 ? s.failingSince + p.disableAfterMs : null,
  };
  return { ...view, status: healthStatus(view) };
}

/**
 * How an endpoint is doing, in one word, from its health view (thresholds below):
 * - failing: the circuit is not closed, or at least FAILING_STREAK attempts in a row failed;
 * - degraded: the latest attempt failed, or under DEGRADED_BELOW of the attempts within the window succeeded;
 * - unknown: no attempt yet;
 * - healthy: otherwise.
 */
export type HealthStatus = "healthy" | "degraded" | "failing" | "unknown";
export const FAILING_STREAK = 3;
export const DEGRADED_BELOW = 0.9;

export function healthStatus(
  h: Pick<HealthView, "circuit" | "consecutiveFailures" | "successRate" | "windowAttempts" | "lastSuccessAt" | "lastFailureAt">,
): HealthStatus {
  if (h.circuit !== "closed" || h.consecutiveFailures >= FAILING_STREAK) return "failing";
  if (h.consecutiveFailures > 0 || (h.windowAttempts > 0 && h.successRate !== null && h.successRate < DEGRADED_BELOW)) return "degraded";
  if (h.lastSuccessAt === null && h.lastFailureAt === null) return "unknown";
  return "healthy";
}

/** The endpoint state that decides when its pending deliveries can go. */
export interface EndpointGateState {
  enabled: boolean;
  /** Why it is disabled (manual, gone, failing); null while enabled. */
  disabledReason?: "manual" | "gone" | "failing" | null;
  /** Its fallback endpoint's gate, when it names one (see sendingGate). */
  fallback?: EndpointGateState | null;
  validationStatus: "none" | "pending" | "passed" | "failed";
  /** The endpoint collects deliveries into batches. */
  batching: boolean;
  circuit: CircuitState;
  circuitUntil: number | null;
  rateLimit: { perSecond: number; burst: number } | null;
  /** The rate-limit bucket as last written; null: full. */
  tokens: number | null;
  tokensAt: number | null;
}

/**
 * What a pending delivery waits for:
 * - sending: an attempt is under way (status delivering);
 * - endpoint_disabled / endpoint_validation: nothing is sent until the endpoint is enabled / validated;
 * - circuit_open: the circuit is open until `until`; circuit_probe: a probe is in flight or about to go;
 * - retry: the next attempt after a failure, at `until`; batch: the batch is sent at `until`;
 *   scheduled: a first attempt not due before `until`;
 * - rate_limit: the endpoint's rate limit lets the next request go at `until`;
 * - queue: due now, waiting for a free sender.
 */
export type WaitReason =
  "sending" | "endpoint_disabled" | "endpoint_validation" | "circuit_open" | "circuit_probe" | "retry" | "batch" | "scheduled" | "rate_limit" | "queue";

export interface WaitingFor {
  reason: WaitReason;
  until: number | null;
}

/** When the rate limit lets the next request go, or null when it lets one go now. */
export function rateLimitUntil(g: Pick<EndpointGateState, "rateLimit" | "tokens" | "tokensAt">, now: number): number | null {
  if (g.rateLimit === null) return null;
  const tokens = refillTokens(g.tokens, g.tokensAt, g.rateLimit.perSecond, g.rateLimit.burst, now);
  if (tokens >= 1) return null;
  return now + Math.ceil(((1 - tokens) * 1000) / g.rateLimit.perSecond);
}

/** The endpoint may send to itself now: enabled, validated, its circuit not cooling down. */
function sendsItself(g: EndpointGateState, now: number): boolean {
  const cooling = g.circuit === "open" && g.circuitUntil !== null && g.circuitUntil > now;
  return g.enabled && (g.validationStatus === "none" || g.validationStatus === "passed") && !cooling;
}

/**
 * The gate a pending delivery of the endpoint goes through now: its fallback's, while the
 * endpoint fails (circuit cooling down, or disabled for failing or by a 410) and the fallback may
 * send (one hop: never the fallback's own fallback); otherwise its own (store/claim.ts decides the same).
 */
export function sendingGate(g: EndpointGateState, now: number): EndpointGateState {
  const f = g.fallback;
  if (!f || sendsItself(g, now) || !sendsItself(f, now)) return g;
  const failing = g.enabled ? g.circuit === "open" && (g.circuitUntil ?? 0) > now : g.disabledReason === "failing" || g.disabledReason === "gone";
  // Sent one by one to the fallback: not a batch.
  return failing ? { ...f, batching: false } : g;
}

/** What a delivery waits for; null once it has settled (succeeded, failed, cancelled). `g` null: the endpoint is gone. */
export function waitingFor(
  d: { status: string; attempts: number; nextAttemptAt: number | null; batchId: string | null },
  own: EndpointGateState | null,
  now: number,
): WaitingFor | null {
  // A batch formed for the endpoint waits for it; other deliveries may go to its fallback.
  const g = own === null || d.batchId !== null ? own : sendingGate(own, now);
  if (d.status === "delivering") return { reason: "sending", until: null };
  if (d.status !== "pending") return null;
  if (g !== null && !g.enabled) return { reason: "endpoint_disabled", until: null };
  if (g !== null && (g.validationStatus === "pending" || g.validationStatus === "failed")) return { reason: "endpoint_validation", until: null };
  const due = d.nextAttemptAt ?? now;
  const circuitUntil = g !== null && g.circuit === "open" && g.circuitUntil !== null && g.circuitUntil > now ? g.circuitUntil : null;
  // Whichever ends later holds the delivery: its own schedule or the circuit's cool-down.
  if (circuitUntil !== null && circuitUntil >= due) return { reason: "circuit_open", until: circuitUntil };
  if (due > now) {
    const reason = d.attempts > 0 ? "retry" : g?.batching && d.batchId === null ? "batch" : "scheduled";
    return { reason, until: due };
  }
  if (g !== null && g.circuit !== "closed") return { reason: "circuit_probe", until: null };
  const rate = g === null ? null : rateLimitUntil(g, now);
  if (rate !== null) return { reason: "rate_limit", until: rate };
  return { reason: "queue", until: null };
}

/** Why "retry now" cannot make a pending delivery due: the circuit is open, or the rate limit holds; null: it can. */
export function retryNowBlocked(
  own: EndpointGateState,
  now: number,
): { reason: "circuit_open"; until: number } | { reason: "rate_limit"; until: number } | null {
  const g = sendingGate(own, now);
  if (g.circuit === "open" && g.circuitUntil !== null && g.circuitUntil > now) return { reason: "circuit_open", until: g.circuitUntil };
  const rate = rateLimitUntil(g, now);
  return rate === null ? null : { reason: "rate_limit", until: rate };
}
