import type { ClaimOptions } from "./store.ts";

/** What each tenant may still start in one claim, under the claiming process's per-tenant cap. */
export interface TenantRoom {
  /** Tenants that may start nothing now: the claim leaves their endpoints out when it lists them. */
  readonly full: string[];
  /** Requests `tenant` may still start in this claim (Infinity without a cap). */
  left(tenant: string): number;
  /** Counts `n` requests (a delivery sent alone, or a batch) claimed for `tenant`. */
  take(tenant: string, n: number): void;
}

/**
 * The per-tenant room of one claim. The cap is per process: the worker counts its own requests in
 * flight per tenant and passes them in, so the claim reads nothing more from the database.
 */
export function tenantRoomOf(opts: Pick<ClaimOptions, "tenantConcurrency" | "tenantInFlight">): TenantRoom {
  const cap = opts.tenantConcurrency;
  const taken = new Map(opts.tenantInFlight ?? []);
  const full = cap === undefined ? [] : [...taken].filter(([, n]) => n >= cap).map(([t]) => t);
  return {
    full,
    left: (tenant) => (cap === undefined ? Infinity : Math.max(0, cap - (taken.get(tenant) ?? 0))),
    take(tenant, n) {
      if (cap !== undefined) taken.set(tenant, (taken.get(tenant) ?? 0) + n);
    },
  };
}
