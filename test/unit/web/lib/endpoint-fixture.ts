import type { Endpoint } from "../../../../packages/client/src/index.ts";

/** An endpoint document as the API answers it, with every setting at its default, for the form's tests. */
export function minimalEndpoint(): Endpoint {
  return {
    id: "ep_1",
    tenantId: "acme",
    url: "https://h.example/a",
    name: null,
    description: null,
    method: "POST",
    headers: {},
    auth: { type: "none" },
    tls: { clientCert: null, clientCertInfo: null, clientKeySet: false, ca: null, skipVerify: false },
    timeouts: { connectMs: 20000, requestMs: 15000 },
    eventTypes: ["leak"],
    minSeverity: null,
    signing: { scheme: "standard" },
    validation: { mode: "none", method: "POST", status: "none", error: null, validatedAt: null },
    format: { envelope: "raw", transform: null },
    lifecycle: { ongoingIntervalSec: 300, sendResolved: true },
    batch: null,
    rateLimit: null,
    retry: null,
    proxy: null,
    filter: null,
    tracing: { propagate: false },
    flapping: null,
    digest: null,
    fallbackEndpointId: null,
    enabled: true,
  } as unknown as Endpoint;
}
