import { Type } from "typebox";
import { FINGERPRINT_RULE, fingerprintProblem } from "../../core/alerts.ts";
import { invalid } from "../../core/errors.ts";
import { getAlert, getBatch, listAlerts } from "../../services/alerts.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { presentAlert, presentBatch } from "../present.ts";
import { AlertOut, AlertQuery, AttemptOut, DeliveryOut, DeliveryStatus, AlertList } from "../schemas.ts";
import { DigestInfoOut } from "../schemas/digest.ts";
import { Nullable } from "../schemas/common.ts";
import { type Api, TenantItemParams, TenantParams, errorResponses, pageOf } from "./common.ts";

// The fingerprint is percent-encoded as one path segment (a space as %20, `/` as %2F); one that
// no alert can have is a 400 saying why, not a 404.
const AlertParams = Type.Object({
  tenant: Type.String({ maxLength: 128 }),
  fingerprint: Type.String({ description: `The alert's fingerprint, percent-encoded. ${FINGERPRINT_RULE}` }),
});
const BatchOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  endpointId: Type.String(),
  size: Type.Integer(),
  status: DeliveryStatus,
  createdAt: Type.String({ format: "date-time" }),
  digest: Nullable(DigestInfoOut),
  deliveries: Type.Array(DeliveryOut),
  attempts: Type.Array(AttemptOut),
});

/** Alerts tracked by fingerprint (lifecycle), and batches (several events sent as one request). */
export function registerAlertRoutes(app: Api, d: ServiceDeps): void {
  app.get(
    "/v1/tenants/:tenant/alerts",
    {
      config: { scope: "read" },
      schema: {
        tags: ["alerts"],
        summary: "List a tenant's alerts by fingerprint, open or resolved",
        params: TenantParams,
        querystring: AlertQuery,
        response: { 200: AlertList, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listAlerts(d, req.params.tenant, { status: q.status }, pageOf(q));
      const now = d.now();
      return { data: page.data.map((a) => presentAlert(a, now)), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/tenants/:tenant/alerts/:fingerprint",
    {
      config: { scope: "read" },
      schema: {
        tags: ["alerts"],
        summary: "Get one alert: start, end, duration and update count",
        params: AlertParams,
        response: { 200: AlertOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, fingerprint } = req.params;
      const problem = fingerprintProblem(fingerprint);
      if (problem) throw invalid("path.fingerprint", problem);
      return presentAlert(await getAlert(d, tenant, fingerprint), d.now());
    },
  );
  app.get(
    "/v1/tenants/:tenant/batches/:id",
    {
      config: { scope: "read" },
      schema: {
        tags: ["deliveries"],
        summary: "Get a batch with its member deliveries and its attempts",
        params: TenantItemParams,
        response: { 200: BatchOut, ...errorResponses },
      },
    },
    async (req) => {
      const { tenant, id } = req.params;
      const b = await getBatch(d, tenant, id);
      return presentBatch(b.batch, b.members, b.attempts);
    },
  );
}
