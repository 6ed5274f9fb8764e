import { type CircuitState, circuitRoom, refillTokens } from "../core/health.ts";
import type { Row } from "./sql.ts";

/** How many requests a claim may start for one endpoint now, and the bookkeeping that follows. */
export interface Gate {
  room: number;
  /** The rate-limit bucket after refilling (before this claim takes from it); null: no rate limit. */
  tokens: number | null;
  /** The circuit is open and its cool-down over: the one request claimed is its probe. */
  probe: boolean;
}

/**
 * Combines the per-endpoint concurrency cap, the circuit and the rate limit, from a claim's
 * endpoint row (with its endpoint_health columns joined).
 */
export function gateOf(r: Row, inflight: number, concurrency: number, now: number): Gate {
  const circuit = ((r.circuit as string | null) ?? "closed") as CircuitState;
  const circuitUntil = r.circuit_until === null || r.circuit_until === undefined ? null : Number(r.circuit_until);
  const byCircuit = circuitRoom({ circuit, circuitUntil }, inflight, now);
  let room = Math.min(concurrency - inflight, byCircuit);
  let tokens: number | null = null;
  if (r.rate_per_sec !== null && r.rate_per_sec !== undefined) {
    const burst = Number(r.rate_burst ?? 1);
    tokens = refillTokens(
      r.tokens === null || r.tokens === undefined ? null : Number(r.tokens),
      r.tokens_at === null || r.tokens_at === undefined ? null : Number(r.tokens_at),
      Number(r.rate_per_sec),
      burst,
      now,
    );
    room = Math.min(room, Math.floor(tokens));
  }
  return { room: Math.max(0, room), tokens, probe: Number.isFinite(byCircuit) && room > 0 };
}
