// One set of schemas validates requests, shapes responses and generates /openapi.json. They live
// in schemas/<resource>.ts; this module exports those the routes use, as before.

export { TenantId, EventTypeName, ListQuery, Problem } from "./schemas/common.ts";
export { TenantCreate, TenantPatch, TenantOut, TenantList } from "./schemas/tenants.ts";
export { EndpointCreate, EndpointPatch, EndpointHealthOut, EndpointOut, EndpointUpdated, EndpointList } from "./schemas/endpoints.ts";
export { EndpointSecretOut, PublicKeyOut } from "./schemas/signing-keys.ts";
export {
  ReplayIn,
  ReplayOut,
  SecretRotateIn,
  SecretRotateOut,
  TestCallIn,
  TestCallOut,
  PreviewIn,
  PreviewOut,
  ValidateOut,
  ReplayList,
} from "./schemas/endpoint-actions.ts";
export { EventTypeCreate, EventTypePatch, EventTypeOut, EventIn, IngestOne, IngestBatch, EventTypeList } from "./schemas/events.ts";
export {
  DeliveryStatus,
  DeliveryOut,
  AttemptOut,
  EventOut,
  AlertOut,
  EventWithDeliveries,
  DeliveryWithAttempts,
  DeliveryQuery,
  DeliveryStatsQuery,
  DeliveryStatsOut,
  EventQuery,
  AlertQuery,
  DeliveryList,
  EventList,
  AlertList,
} from "./schemas/deliveries.ts";
export {
  AdminKeyCreate,
  TenantKeyCreate,
  PortalSessionCreate,
  ApiKeyOut,
  ApiKeyCreated,
  PortalSessionOut,
  SessionOut,
  KeyQuery,
  TenantKeyQuery,
  ApiKeyList,
} from "./schemas/keys.ts";
