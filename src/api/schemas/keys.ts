import { Type } from "typebox";
import { component } from "./component.ts";
import { ListQuery, Nullable, Timestamp, listOf } from "./common.ts";

// API keys and portal sessions.

export const ScopeName = component(
  "ScopeName",
  Type.Union([Type.Literal("events:write"), Type.Literal("endpoints:write"), Type.Literal("read")], {
    description: "events:write posts events; endpoints:write manages endpoints and retries deliveries; read reads",
  }),
);
export const KeyKind = component("KeyKind", Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("portal")]));
export const KeyName = Type.String({ minLength: 1, maxLength: 200, description: "What the key is for, e.g. the client that holds it" });
export const ExpiresAt = Type.String({ format: "date-time", description: "ISO 8601; must be in the future. Omitted or null: the key does not expire" });

export const AdminKeyCreate = component(
  "AdminKeyCreate",
  Type.Object({ name: KeyName, expiresAt: Type.Optional(Nullable(ExpiresAt)) }, { additionalProperties: false }),
);
export const TenantKeyCreate = component(
  "TenantKeyCreate",
  Type.Object(
    {
      name: KeyName,
      scopes: Type.Array(ScopeName, { minItems: 1, maxItems: 3, uniqueItems: true }),
      expiresAt: Type.Optional(Nullable(ExpiresAt)),
    },
    { additionalProperties: false },
  ),
);
export const PortalSessionCreate = component(
  "PortalSessionCreate",
  Type.Object(
    { ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: "Lifetime; default 3600 (1 h)" })) },
    { additionalProperties: false },
  ),
);

/** A key as lists show it: never the key itself, never its hash. */
const apiKeyOut = Type.Object(
  {
    id: Type.String(),
    kind: KeyKind,
    tenantId: Nullable(Type.String()),
    name: Nullable(Type.String()),
    scopes: Type.Array(ScopeName),
    prefix: Type.String({ description: "The key's first characters, to recognise it" }),
    expiresAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export const ApiKeyOut = component("ApiKeyOut", apiKeyOut);
export const ApiKeyCreated = component(
  "ApiKeyCreated",
  Type.Object(
    { ...apiKeyOut.properties, key: Type.String({ description: "The key; shown only in this response, store it now" }) },
    { additionalProperties: false },
  ),
);
export const PortalSessionOut = component(
  "PortalSessionOut",
  Type.Object(
    {
      id: Type.String({ description: "The session's key id; DELETE /v1/keys/{id} ends it early" }),
      url: Type.String({ description: "The customer console, with the token in the fragment" }),
      token: Type.String({ description: "Bearer token for /v1/tenants/{tenant}/…; shown only in this response" }),
      tenantId: Type.String(),
      scopes: Type.Array(ScopeName),
      expiresAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);
/** GET /v1/session: the calling key, as the console needs it to know where it is and what it may do. */
export const SessionOut = component(
  "SessionOut",
  Type.Object(
    {
      kind: Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("portal")], {
        description: "admin: every tenant and route; tenant: one tenant, its scopes; portal: a customer-console session",
      }),
      tenantId: Nullable(Type.String({ description: "The one tenant the key sees; null for admin keys" })),
      scopes: Type.Array(ScopeName),
      expiresAt: Nullable(Timestamp),
    },
    { additionalProperties: false },
  ),
);
export const KeyQuery = Type.Object(
  { ...ListQuery.properties, kind: Type.Optional(KeyKind), tenantId: Type.Optional(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);
export const TenantKeyQuery = Type.Object({ ...ListQuery.properties, kind: Type.Optional(KeyKind) }, { additionalProperties: false });
export const ApiKeyList = listOf(ApiKeyOut);
