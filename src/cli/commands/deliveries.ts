import type { Delivery } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { type Command, client, clientOptions, parse, printer, required, showHelp, table } from "../shared.ts";

/** `tocsin deliveries`: lists a tenant's deliveries. */

const DELIVERIES_HELP = `Usage: tocsin deliveries --tenant ID [--endpoint ID] [--event ID] [--status STATUS] [--limit N] [--json]

Lists deliveries, newest first. STATUS: pending, delivering, succeeded, failed, cancelled.`;

export const deliveries: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    endpoint: { type: "string" },
    event: { type: "string" },
    status: { type: "string" },
    limit: { type: "string" },
  });
  if (v.help) return showHelp(io, DELIVERIES_HELP);
  const query = {
    endpointId: v.endpoint || undefined,
    eventId: v.event || undefined,
    // The server checks the status and the limit (NaN, for an empty --limit, is "must be integer").
    status: (v.status || undefined) as Delivery["status"] | undefined,
    limit: v.limit === undefined ? 50 : v.limit === "" ? NaN : Number(v.limit),
  };
  const api = client(v, env);
  const page = await unwrap(api.GET("/v1/tenants/{tenant}/deliveries", { params: { path: { tenant: required(v.tenant, "tenant") }, query } }));
  print(v.json, page, () => table(page.data, ["id", "status", "eventType", "endpointId", "attemptCount", "lastStatusCode", "nextAttemptAt", "lastError"]));
  return 0;
};
