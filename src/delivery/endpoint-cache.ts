import { type RetryPolicy, endpointRetryPolicy } from "../core/retry-policy.ts";
import type { SecretBox } from "../core/secret-box.ts";
import type { ClaimedDelivery, EndpointCredentials, RetrySettings } from "../core/types.ts";
import type { Store } from "../store/store.ts";
import { type EndpointProfile, type Shaping, compileProfile, compileShaping } from "./request.ts";

/** How a delivery's endpoint is sent to: its compiled settings, and its body's shaping. */
export interface EndpointCache {
  /** The endpoint's compiled settings at the claimed version or newer; null when it was deleted. */
  profileFor(c: Pick<ClaimedDelivery, "endpointId" | "endpointVersion">): Promise<EndpointProfile | null>;
  /** The shaping of the version the delivery is pinned to (its body never changes). */
  shapingFor(p: EndpointProfile, c: ClaimedDelivery): Promise<Shaping> | Shaping;
  /**
   * The retry policy of the profile's endpoint version: `server` itself when the endpoint has none,
   * else the two combined, computed once per version (core/retry-policy.ts endpointRetryPolicy).
   */
  retryPolicyFor(p: EndpointProfile, server: RetryPolicy): RetryPolicy;
}

/** Entries kept per map before it is emptied (the next claims load what they need again). */
const MAX_ENTRIES = 10_000;

/**
 * The endpoint-version caches of one worker. Compiled settings (decrypted keys, headers,
 * transport) per endpoint are replaced when a claim brings a newer version; they are shared
 * promises, so there is one lookup per endpoint however many of its deliveries wait. A failed
 * lookup is not cached: the next claim tries again.
 */
export function createEndpointCache(o: { store: Store; secretBox: SecretBox; userAgent: string }): EndpointCache {
  const profiles = new Map<string, { version: number; profile: Promise<EndpointProfile | null> }>();
  // Shaping of older endpoint versions, for deliveries pinned to one.
  const shapings = new Map<string, Promise<Shaping>>();
  // Each profile's retry settings, and the policy they make (kept as long as the profile is).
  const retries = new WeakMap<EndpointProfile, { settings: RetrySettings; server: RetryPolicy | null; policy: RetryPolicy | null }>();

  async function loadProfile(endpointId: string): Promise<EndpointProfile | null> {
    const found = await o.store.getEndpointForDelivery(endpointId);
    if (!found) return null;
    const { endpoint, secrets } = found;
    const profile = compileProfile(
      endpoint,
      {
        secret: o.secretBox.decrypt(secrets.secretEnc),
        previousSecret: secrets.previousSecretEnc === null ? null : o.secretBox.decrypt(secrets.previousSecretEnc),
        credentials: secrets.credentialsEnc === null ? {} : (JSON.parse(o.secretBox.decrypt(secrets.credentialsEnc)) as EndpointCredentials),
      },
      o.userAgent,
    );
    if (endpoint.settings.retry !== null) retries.set(profile, { settings: endpoint.settings.retry, server: null, policy: null });
    return profile;
  }

  return {
    profileFor(c) {
      const cached = profiles.get(c.endpointId);
      if (cached && cached.version >= c.endpointVersion) return cached.profile;
      if (profiles.size > MAX_ENTRIES) profiles.clear();
      const profile = loadProfile(c.endpointId);
      profiles.set(c.endpointId, { version: c.endpointVersion, profile });
      profile.catch(() => profiles.delete(c.endpointId));
      return profile;
    },

    shapingFor(p, c) {
      if (c.pinnedVersion >= p.version) return p.shaping;
      const key = `${c.endpointId}:${c.pinnedVersion}`;
      let s = shapings.get(key);
      if (!s) {
        if (shapings.size > MAX_ENTRIES) shapings.clear();
        // null: the settings have not changed since that version, so the current ones apply.
        s = o.store.getEndpointSettingsAt(c.endpointId, c.pinnedVersion).then((r) => (r ? compileShaping(r.settings) : p.shaping));
        shapings.set(key, s);
        s.catch(() => shapings.delete(key));
      }
      return s;
    },

    retryPolicyFor(p, server) {
      const r = retries.get(p);
      if (r === undefined) return server;
      if (r.server !== server || r.policy === null) {
        r.server = server;
        r.policy = endpointRetryPolicy(server, r.settings);
      }
      return r.policy;
    },
  };
}
