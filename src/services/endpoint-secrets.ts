// An endpoint's secrets: sealing and opening them, reading them back, and rotating the signing secret.
import { ApiError, notFound } from "../core/errors.ts";
import type { Endpoint, EndpointCredentials, SigningSettings } from "../core/types.ts";
import type { PlainSecrets } from "../delivery/request.ts";
import { generateKeyPair, publicKeyOf } from "../signing/ed25519.ts";
import { allowsSignatureList } from "../signing/schemes.ts";
import { generateSecret } from "../signing/standard.ts";
import type { EndpointChanges, EndpointSecrets } from "../store/store.ts";
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

/**
 * The signing secret an endpoint starts with: the one given, or a new one; under ed25519 always a
 * new key pair's `whsk_` secret key (a given secret is refused: the private key is Tocsin's alone).
 */
export function initialSecret(signing: SigningSettings, given: string | undefined): string {
  if (given !== undefined) return checkSecretForScheme(given, signing);
  return signing.scheme === "ed25519" ? generateKeyPair().secretKey : generateSecret();
}

/**
 * What a change of scheme does to the stored secret. The HMAC secret and the ed25519 key pair are
 * different things: switching to ed25519 replaces the secret with a new key pair, and switching
 * away from it discards the key pair for a new `whsec_` secret; either way at once, without an
 * overlap (the receiver has to change how it verifies anyway). Otherwise the secret stays and must
 * suit the new scheme.
 */
export function secretForSchemeChange(d: ServiceDeps, from: SigningSettings, to: SigningSettings, secret: string): EndpointChanges {
  const wasKeyPair = from.scheme === "ed25519";
  const isKeyPair = to.scheme === "ed25519";
  if (wasKeyPair === isKeyPair) {
    if (!isKeyPair) checkSecretForScheme(secret, to, "/signing/scheme");
    return {};
  }
  const next = isKeyPair ? generateKeyPair().secretKey : generateSecret();
  return { secretEnc: d.secretBox.encrypt(next), previousSecretEnc: null, previousSecretExpiresAt: null };
}

/** `GET …/secret`: the secret itself, or under ed25519 the public key (the private key is never shown). */
export type RevealedSecret = { secret: string } | { scheme: "ed25519"; publicKey: string };

export async function getEndpointSecret(d: ServiceDeps, tenantId: string, id: string): Promise<RevealedSecret> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  const secret = d.secretBox.decrypt(secrets.secretEnc);
  return endpoint.settings.signing.scheme === "ed25519" ? { scheme: "ed25519", publicKey: publicKeyOf(secret) } : { secret };
}

export interface PublicKeyView {
  scheme: "ed25519";
  publicKey: string;
  /** During a rotation's overlap: the previous key pair's public key, still signing until previousExpiresAt. */
  previousPublicKey?: string;
  previousExpiresAt?: number;
}

/** `GET …/public-key`: what a receiver verifies ed25519 deliveries with; 409 under the other schemes. */
export async function getPublicKey(d: ServiceDeps, tenantId: string, id: string): Promise<PublicKeyView> {
  const { endpoint, secrets } = await getWithSecrets(d, tenantId, id);
  const scheme = endpoint.settings.signing.scheme;
  if (scheme !== "ed25519") {
    throw new ApiError(
      409,
      "conflict",
      `endpoint ${id} signs with signing.scheme ${scheme}, which has no public key: set signing.scheme ed25519 to sign with a key pair`,
    );
  }
  const out: PublicKeyView = { scheme, publicKey: publicKeyOf(d.secretBox.decrypt(secrets.secretEnc)) };
  const until = endpoint.previousSecretExpiresAt;
  if (secrets.previousSecretEnc !== null && until !== null && until > d.now()) {
    out.previousPublicKey = publicKeyOf(d.secretBox.decrypt(secrets.previousSecretEnc));
    out.previousExpiresAt = until;
  }
  return out;
}

/** The new secret; under ed25519 the new key pair's public key instead. */
export type RotationResult = ({ secret: string } | { publicKey: string }) & RotationTerms;

export interface RotationTerms {
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
  const keyPair = signing.scheme === "ed25519";
  const secret = input.secret === undefined ? (keyPair ? generateKeyPair().secretKey : generateSecret()) : checkSecretForScheme(input.secret, signing);
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
    ? keyPair
      ? `a new key pair was made: deliveries carry v1a signatures of both the new and the previous key until ${new Date(until!).toISOString()}`
      : `deliveries carry signatures for both the new and the previous secret until ${new Date(until!).toISOString()}`
    : signing.scheme === "hmac-sha256"
      ? `the ${signing.header} header holds a single signature, so deliveries are signed with the new secret only, from now on`
      : "signing.scheme is none: deliveries are not signed; the new secret applies if signing is turned on";
  d.logger.info({ tenant: tenantId, endpoint: id, overlap }, "endpoint secret rotated");
  if (keyPair) return { publicKey: publicKeyOf(secret), previousSecretExpiresAt: until, overlap, detail };
  return { secret, previousSecretExpiresAt: until, overlap, detail };
}
