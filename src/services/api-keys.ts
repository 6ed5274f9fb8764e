import { createHash, timingSafeEqual } from "node:crypto";
import {
  type ApiKey,
  type ApiKeyKind,
  PORTAL_SCOPES,
  type Principal,
  SCOPES,
  type Scope,
  displayPrefix,
  generateKey,
  hashKey,
  looksLikeIssuedKey,
} from "../core/api-keys.ts";
import { ApiError, coerceError, invalid, notFound } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { ApiKeyFilter, Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export const PORTAL_TTL_DEFAULT_S = 3600;
export const PORTAL_TTL_MAX_S = 86_400;
/** `last_used_at` is written at most this often per key, not on every request. */
const TOUCH_EVERY_MS = 60_000;

const BOOTSTRAP: Principal = Object.freeze({ kind: "admin", keyId: null, tenantId: null, scopes: SCOPES, expiresAt: null });

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/**
 * Who presents `token`: a bootstrap admin key (compared in constant time against each), or a key
 * we issued, looked up by its hash, neither revoked nor expired. Throws a 401 otherwise.
 */
export async function authenticate(d: ServiceDeps, token: string, bootstrapKeys: readonly string[]): Promise<Principal> {
  const given = sha256(token);
  let bootstrap = false;
  for (const k of bootstrapKeys) bootstrap = timingSafeEqual(given, sha256(k)) || bootstrap;
  if (bootstrap) return BOOTSTRAP;
  const invalidKey = new ApiError(401, "unauthorized", "the API key is not valid");
  if (!looksLikeIssuedKey(token)) throw invalidKey;
  const hash = hashKey(token);
  const found = await d.store.findApiKeyByHash(hash);
  // The index found the row by hash; compare once more without an early exit on the first byte.
  if (!found || found.hash.length !== hash.length || !timingSafeEqual(Buffer.from(found.hash, "hex"), Buffer.from(hash, "hex"))) throw invalidKey;
  const { key } = found;
  const now = d.now();
  if (key.revokedAt !== null) throw new ApiError(401, "unauthorized", "the API key was revoked");
  if (key.expiresAt !== null && key.expiresAt <= now) throw new ApiError(401, "unauthorized", "the API key has expired");
  if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_EVERY_MS) {
    try {
      await d.store.touchApiKey(key.id, now);
    } catch (e) {
      // Last use is a hint for rotation; the request is authenticated either way.
      d.logger.warn({ err: coerceError(e).message, keyId: key.id }, "could not record the API key's last use");
    }
  }
  return {
    kind: key.kind,
    keyId: key.id,
    name: key.name,
    tenantId: key.tenantId,
    scopes: key.kind === "admin" ? SCOPES : key.scopes,
    expiresAt: key.expiresAt,
  };
}

function parseExpiresAt(d: ServiceDeps, expiresAt: string | null | undefined): number | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw invalid("/expiresAt", "must be an ISO 8601 date-time");
  if (ms <= d.now()) throw invalid("/expiresAt", "must be in the future");
  return ms;
}

async function issue(d: ServiceDeps, kind: ApiKeyKind, tenantId: string | null, name: string | null, scopes: readonly Scope[], expiresAt: number | null) {
  const now = d.now();
  const secret = generateKey(kind);
  const key = await d.store.createApiKey({
    id: newId("key", now),
    kind,
    tenantId,
    name,
    // Stored in one canonical order, whatever order they were given in.
    scopes: SCOPES.filter((s) => scopes.includes(s)),
    hash: hashKey(secret),
    prefix: displayPrefix(secret),
    expiresAt,
    createdAt: now,
  });
  return { key, secret };
}

async function requireTenant(d: ServiceDeps, tenantId: string): Promise<void> {
  if (!(await d.store.getTenant(tenantId))) throw notFound("tenant", tenantId);
}

/** A new admin key: every route, no tenant. The secret is returned once and only its hash is kept. */
export function createAdminKey(d: ServiceDeps, input: { name: string; expiresAt?: string | null }): Promise<{ key: ApiKey; secret: string }> {
  return issue(d, "admin", null, input.name, SCOPES, parseExpiresAt(d, input.expiresAt));
}

/** A key that sees only `tenantId`, with `scopes`. */
export async function createTenantKey(
  d: ServiceDeps,
  tenantId: string,
  input: { name: string; scopes: Scope[]; expiresAt?: string | null },
): Promise<{ key: ApiKey; secret: string }> {
  const expiresAt = parseExpiresAt(d, input.expiresAt);
  if (input.scopes.length === 0) throw invalid("/scopes", "must name at least one scope");
  await requireTenant(d, tenantId);
  return issue(d, "tenant", tenantId, input.name, input.scopes, expiresAt);
}

/** A short-lived token for the customer console: one tenant, endpoints:write and read, never events:write. */
export async function createPortalSession(d: ServiceDeps, tenantId: string, input: { ttlSeconds?: number }): Promise<{ key: ApiKey; secret: string }> {
  const ttl = input.ttlSeconds ?? PORTAL_TTL_DEFAULT_S;
  await requireTenant(d, tenantId);
  return issue(d, "portal", tenantId, "portal session", PORTAL_SCOPES, d.now() + ttl * 1000);
}

/** Every key matching `filter`, a deleted tenant's (revoked) keys included. */
export function listKeys(d: ServiceDeps, filter: ApiKeyFilter, page: Page): Promise<PageResult<ApiKey>> {
  return d.store.listApiKeys(filter, page);
}

/** The keys and portal sessions of a tenant that exists. */
export async function listTenantKeys(d: ServiceDeps, tenantId: string, kind: ApiKeyKind | undefined, page: Page): Promise<PageResult<ApiKey>> {
  await requireTenant(d, tenantId);
  return d.store.listApiKeys({ tenantId, kind }, page);
}

/** Revokes a key at once (any kind when `tenantId` is null, else only that tenant's). */
export async function revokeKey(d: ServiceDeps, id: string, tenantId: string | null): Promise<ApiKey> {
  const key = await d.store.revokeApiKey(id, tenantId, d.now());
  if (!key) throw notFound("API key", id);
  return key;
}
