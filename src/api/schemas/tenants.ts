import { Type } from "typebox";
import { Metadata, Name, Nullable, TenantId, Timestamp } from "./common.ts";

// Tenants.

export const TenantCreate = Type.Object(
  { id: Type.Optional(TenantId), name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
);
export const TenantPatch = Type.Object({ name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Nullable(Metadata)) }, { additionalProperties: false });
export const TenantOut = Type.Object(
  { id: Type.String(), name: Nullable(Type.String()), metadata: Metadata, createdAt: Timestamp, updatedAt: Timestamp },
);
