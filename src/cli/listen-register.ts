import type { Signing } from "@tocsin/verify";
import type { EndpointCreate } from "@tocsin/client";
import { type ApiClient, TocsinApiError, unwrap } from "./client.ts";
import type { ListenRegister } from "./listen.ts";

/**
 * `tocsin listen --tenant ID`: registers the local receiver as an endpoint of the tenant (created
 * when missing) through the API, and removes it again when listen stops.
 */
export function apiRegistrar(api: ApiClient): ListenRegister {
  return async ({ tenant, url, eventTypes, signing, secret, name }) => {
    let createdTenant = false;
    try {
      await unwrap(api.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } }));
    } catch (e) {
      if (!(e instanceof TocsinApiError) || e.status !== 404) throw e;
      await unwrap(api.POST("/v1/tenants", { body: { id: tenant } }));
      createdTenant = true;
    }
    const body: EndpointCreate = { url, eventTypes, name, description: "A receiver started by 'tocsin listen'" };
    if (signing) body.signing = signing as EndpointCreate["signing"];
    if (secret) body.secret = secret;
    const ep = await unwrap(api.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant } }, body }));
    const path = { tenant, id: ep.id };
    const got = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path } }));
    return {
      tenantId: tenant,
      endpointId: ep.id,
      // Under ed25519 the receiver verifies with the public key.
      secret: "secret" in got ? got.secret : got.publicKey,
      signing: ep.signing as Signing,
      createdTenant,
      async remove() {
        await unwrap(api.DELETE("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } }));
      },
    };
  };
}
