import { type DestinationPolicy, createDestinationPolicy } from "./core/addresses.ts";
import type { HealthPolicy } from "./core/health.ts";
import type { Config } from "./config.ts";

// The policies a configuration sets, as the delivery code takes them.

/** The circuit-breaker and auto-disable rules a configuration sets. */
export function healthPolicy(c: Readonly<Config>): HealthPolicy {
  return {
    failures: c.circuitFailures,
    failureRatePct: c.circuitFailureRatePct,
    sample: c.circuitSample,
    windowMs: c.circuitWindowMs,
    cooldownMs: c.circuitCooldownMs,
    maxCooldownMs: c.circuitMaxCooldownMs,
    disableAfterMs: c.disableAfterMs,
  };
}

const policies = new WeakMap<Readonly<Config>, DestinationPolicy>();

/** The destination policy of a configuration (built once per configuration). */
export function destinationPolicy(config: Readonly<Config>): DestinationPolicy {
  let p = policies.get(config);
  if (!p) {
    p = createDestinationPolicy(config.allowPrivateNetworks, config.allowedCidrs);
    policies.set(config, p);
  }
  return p;
}
