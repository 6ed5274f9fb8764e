// Save-time check of an endpoint's host name: does it resolve to an address deliveries may not reach?
import { isIP } from "node:net";
import { destinationPolicy } from "../config-policies.ts";
import { BlockedDestinationError, createGuardedLookup } from "../delivery/guarded-lookup.ts";
import type { ServiceDeps } from "./deps.ts";

/**
 * How long a save waits for the name to resolve. A slow resolver must not stall saves: past this,
 * the save answers without a warning about the name, and each attempt checks it again anyway.
 */
export const SAVE_RESOLVE_TIMEOUT_MS = 2000;

/** Who is told: operators (admin keys) see the addresses; tenant keys and portal users a plain sentence. */
export type Audience = "operator" | "tenant";

type Outcome = { kind: "blocked"; addresses: readonly string[] } | { kind: "unknown" } | { kind: "ok" } | { kind: "undecided" };

function resolveOnce(d: ServiceDeps, hostname: string): Promise<Outcome> {
  const lookup = createGuardedLookup(destinationPolicy(d.config), d.config.dnsServers);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: "undecided" }), SAVE_RESOLVE_TIMEOUT_MS);
    lookup(hostname, { all: true }, (err) => {
      clearTimeout(timer);
      if (err instanceof BlockedDestinationError) resolve({ kind: "blocked", addresses: err.addresses });
      else if (err && (err.code === "ENOTFOUND" || err.code === "ENODATA")) resolve({ kind: "unknown" });
      else resolve(err ? { kind: "undecided" } : { kind: "ok" });
    });
  });
}

/**
 * Warnings about where `url`'s host name resolves now, for the create and PATCH answers: a name
 * that resolves only to refused addresses (private, loopback, reserved; see TOCSIN_ALLOWED_CIDRS),
 * or that does not resolve at all. None when the policy refuses nothing, when requests go through
 * TOCSIN_EGRESS_PROXY (the proxy resolves), for literal addresses (refused on save already), and
 * when the resolver errs or takes longer than SAVE_RESOLVE_TIMEOUT_MS.
 */
export async function destinationWarnings(d: ServiceDeps, url: string, audience: Audience): Promise<string[]> {
  const policy = destinationPolicy(d.config);
  const hostname = new URL(url).hostname;
  if (policy.open || d.config.egressProxy || isIP(hostname.replace(/^\[|\]$/g, ""))) return [];
  const r = await resolveOnce(d, hostname);
  if (r.kind === "blocked") {
    d.logger.warn({ hostname, addresses: r.addresses }, "endpoint saved with a host name that resolves to a refused address");
    return audience === "operator"
      ? [
          `url: ${hostname} resolves to ${r.addresses.join(", ")}, a private or reserved address: deliveries will fail as blocked_destination (allow it with TOCSIN_ALLOWED_CIDRS, or fix the name)`,
        ]
      : [`url: ${hostname} resolves to a private or reserved address, so deliveries to it will be refused. Check the address with the receiver's owner.`];
  }
  if (r.kind === "unknown") return [`url: ${hostname} does not resolve (no such name): deliveries will fail until it does`];
  return [];
}
