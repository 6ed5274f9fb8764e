import { createHash, randomBytes } from "node:crypto";

/**
 * What a key may do. `events:write` posts events (alerts); `endpoints:write` manages a tenant's
 * endpoints (create, change, delete, reveal and rotate secrets, test, validate, retry deliveries);
 * `read` reads the tenant, its endpoints, events and deliveries, and the event-type catalog.
 * Everything else (tenants, the catalog, keys, portal sessions) needs an admin key.
 */
export const SCOPES = ["events:write", "endpoints:write", "read"] as const;
export type Scope = (typeof SCOPES)[number];

/** A portal session's fixed scopes: manage endpoints and read, never post events as the operator. */
export const PORTAL_SCOPES: readonly Scope[] = ["endpoints:write", "read"];

/** `admin`: every route; `tenant`: one tenant, its scopes; `portal`: a short-lived tenant key for the customer console. */
export type ApiKeyKind = "admin" | "tenant" | "portal";

export interface ApiKey {
  id: string;
  kind: ApiKeyKind;
  /** null for admin keys. */
  tenantId: string | null;
  name: string | null;
  scopes: Scope[];
  /** The key's first characters, to tell keys apart in lists; never enough to use it. */
  prefix: string;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

/** Who is calling: the bootstrap key and admin keys are `admin`, with every scope and no tenant. */
export interface Principal {
  kind: ApiKeyKind;
  /** The key's id; null for the bootstrap key (TOCSIN_API_KEY or data/admin-key), which has no row. */
  keyId: string | null;
  /** The key's name, when it has one (records such as a silence's author show it). */
  name?: string | null;
  tenantId: string | null;
  scopes: readonly Scope[];
  /** When the key stops working (epoch ms); null when it does not expire. */
  expiresAt: number | null;
}

export const KEY_PREFIX = "tsk_";
export const PORTAL_TOKEN_PREFIX = "tsp_";
/** Characters of a key shown in lists: the type prefix and 8 random characters (48 bits). */
const DISPLAY_CHARS = 12;

/** A new secret: prefix + 32 random bytes as base64url. High entropy, so a fast hash is enough to store it. */
export function generateKey(kind: ApiKeyKind): string {
  return `${kind === "portal" ? PORTAL_TOKEN_PREFIX : KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** Hex SHA-256 of the whole key: what the database keeps and looks keys up by. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_CHARS);
}

/** Whether `key` could be one we issued (saves a database look-up for anything else). */
export function looksLikeIssuedKey(key: string): boolean {
  return (key.startsWith(KEY_PREFIX) || key.startsWith(PORTAL_TOKEN_PREFIX)) && key.length <= 100;
}
