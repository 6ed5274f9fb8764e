// An endpoint's secrets: sealing and opening them, reading them back, and rotating the signing secret.
import { notFound } from "../core/errors.ts";
import type { Endpoint, EndpointCredentials } from "../core/types.ts";
import type { PlainSecrets } from "../delivery/request.ts";
import { allowsSignatureList } from "../signing/schemes.ts";
import { generateSecret } from "../signing/standard.ts";
import type { EndpointSecrets } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";
import { checkSecretForScheme } from "./endpoint-settings.ts";

/** How long a rotated-out secret keeps signing alongside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export const encryptCredentials = (d: ServiceDeps, c: EndpointCredentials): string | null =>
  Object.keys(c).length === 0 ? null : d.secretBox.encrypt(JSON.stringify(c));

export function decryptSecrets(d: ServiceDeps, s: EndpointSecrets): PlainSecrets {
  return {
    secret: d.secretBox.decrypt(s.secretEnc),
    previousSecret: s.previousSecretEnc === null ? null : d.secretBox.decrypt(s.previousSecretEnc),
    credentials: s.credentialsEnc === null ? {} : (JSON.parse(d.secretBox.decrypt(s.credentialsEnc)) as EndpointCredentials),
  };
}

export async function getWithSecrets(d: ServiceDeps, tenantId: string, id: string): Promise<{ endpoint: Endpoint; secrets: EndpointSecrets }> {
  const [endpoint, secrets] = await Promise.all([d.store.getEndpoint(tenantId, id), d.store.getEndpointSecrets(tenantId, id)]);
  if (!endpoint || !secrets) throw notFound("endpoint", id);
  return { endpoint, secrets };
}

export async function getEndpointSecret(d: ServiceDeps, tenantId: string, id: string): Promise<string> {
  const s = await d.store.getEndpointSecrets(tenantId, id);
  if (s === null) throw notFound("endpoint", id);
  return d.secretBox.decrypt(s.secretEnc);
}

export interface RotationResult {
  secret: string;
  /** Until when deliveries also carry the previous secret's signature; null: they switched at once. */
  previousSecretExpiresAt: number | null;
  overlap: boolean;
  detail: string;
}

/**
 * Issues a new signing secret. Where the scheme's header can hold several signatures, the previous
 * secret keeps signing alongside for `ROTATION_OVERLAP_MS`, so receivers can switch at leisure.
 */
export async function rotateSecret(d: ServiceDeps, tenantId: string, id: string, input: { secret?: string }): Promise<RotationResult> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  const signing = endpoint.settings.signing;
  const secret = input.secret === undefined ? generateSecret() : checkSecretForScheme(input.secret, signing);
  const overlap = allowsSignatureList(signing);
  const until = overlap ? d.now() + ROTATION_OVERLAP_MS : null;
  const updated = await d.store.updateEndpoint(
    tenantId,
    id,
    { secretEnc: d.secretBox.encrypt(secret), previousSecretEnc: overlap ? secrets.secretEnc : null, previousSecretExpiresAt: until },
    d.now(),
  );
  if (!updated) throw notFound("endpoint", id);
  const detail = overlap
    ? `deliveries carry signatures for both the new and the previous secret until ${new Date(until!).toISOString()}`
    : signing.scheme === "hmac-sha256"
      ? `the ${signing.header} header holds a single signature, so deliveries are signed with the new secret only, from now on`
      : "signing.scheme is none: deliveries are not signed; the new secret applies if signing is turned on";
  d.logger.info({ tenant: tenantId, endpoint: id, overlap }, "endpoint secret rotated");
  return { secret, previousSecretExpiresAt: until, overlap, detail };
}
