import { Type } from "typebox";
import { component } from "./component.ts";
import { Metadata, Name, Nullable, TenantId, Timestamp, listOf } from "./common.ts";

// Tenants.

export const TenantCreate = component(
  "TenantCreate",
  Type.Object({ id: Type.Optional(TenantId), name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
);
export const TenantPatch = component(
  "TenantPatch",
  Type.Object({ name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Nullable(Metadata)) }, { additionalProperties: false }),
);
export const TenantOut = component(
  "TenantOut",
  Type.Object({ id: Type.String(), name: Nullable(Type.String()), metadata: Metadata, createdAt: Timestamp, updatedAt: Timestamp }),
);
export const TenantList = listOf(TenantOut);
