import type { Delivery, RequestBody } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { confirm, followJob, jobLine, sameJobLine, timeFlag, windowLine } from "../job.ts";
import { type Command, client, clientOptions, parse, printer, required, showHelp, table } from "../shared.ts";

/** `tocsin deliveries`: lists a tenant's deliveries; `tocsin deliveries retry-failed` queues the failed ones again. */

const DELIVERIES_HELP = `Usage: tocsin deliveries --tenant ID [--endpoint ID] [--event ID] [--status STATUS] [--limit N] [--json]
       tocsin deliveries retry-failed --tenant ID [--endpoint ID] [--type TYPE] [--since TIME] [--until TIME] [--yes] [--no-wait] [--json]

Lists deliveries, newest first. STATUS: pending, delivering, succeeded, failed, cancelled, suppressed.
Run 'tocsin deliveries retry-failed --help' to queue failed deliveries again.`;

const RETRY_FAILED_HELP = `Usage: tocsin deliveries retry-failed --tenant ID [--endpoint ID] [--type TYPE] [--since TIME] [--until TIME] [--yes] [--no-wait] [--json]

Queues every failed delivery that matches the filter again, as a job, and follows it with a
progress bar (on stderr) until it finishes. It prints how many match first, then asks on a terminal;
without one it needs --yes.
  --endpoint ID    Only this endpoint's deliveries (default: every endpoint of the tenant)
  --type TYPE      Only this event type; prefix.* for a family (default: every type)
  --since TIME     Only deliveries created at or after TIME: an ISO date-time (2026-11-23T08:00:00Z)
                   or a duration ago (2h, 3d), resolved by the server (default: from the start)
  --until TIME     Only deliveries created before TIME (default: now)
  --yes            Do not ask
  --no-wait        Print the job and return at once (follow it with GET /v1/tenants/ID/replays/RPL_ID)
The same request again within a day is the same job: nothing is queued twice. Exits 0 when the job
completed (or nothing matched), 1 when the question was answered no.`;

export const deliveries: Command = async (args, env, io) => {
  if (args[0] === "retry-failed") return retryFailed(args.slice(1), env, io);
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

const retryFailed: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    endpoint: { type: "string" },
    type: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    yes: { type: "boolean" },
    "no-wait": { type: "boolean" },
  });
  if (v.help) return showHelp(io, RETRY_FAILED_HELP);
  const tenant = required(v.tenant, "tenant");
  const body: RequestBody<"/v1/tenants/{tenant}/deliveries/retry-failed", "post"> = {};
  if (v.endpoint !== undefined) body.endpointId = required(v.endpoint, "endpoint");
  if (v.type !== undefined) body.eventType = required(v.type, "type");
  if (v.since !== undefined) body.since = timeFlag(v.since, "since");
  if (v.until !== undefined) body.until = timeFlag(v.until, "until");
  const api = client(v, env);
  const path = { params: { path: { tenant } } };
  const counted = await api.POST("/v1/tenants/{tenant}/deliveries/retry-failed", { ...path, body: { ...body, dryRun: true } });
  const count = await unwrap(counted);
  // The server's time of the count (to the second): a job made before it is one this request found again.
  const countedAt = Date.parse(counted.response.headers.get("date") ?? "");
  const matched = "matched" in count ? count.matched : 0;
  io.err(`${matched} failed ${matched === 1 ? "delivery matches" : "deliveries match"}`);
  if (matched === 0) {
    print(v.json, count, () => "nothing to retry");
    return 0;
  }
  if (!(await confirm(`This queues ${matched} failed ${matched === 1 ? "delivery" : "deliveries"} again`, v.yes, io))) return 1;
  const started = await unwrap(api.POST("/v1/tenants/{tenant}/deliveries/retry-failed", { ...path, body }));
  if ("matched" in started) throw new Error("the server counted instead of starting a job; upgrade it");
  const same = Date.parse(started.createdAt) < countedAt;
  const job = v["no-wait"] ? started : await followJob(api, tenant, started, io);
  print(v.json, job, () => [...(same ? [sameJobLine("retry", job)] : []), windowLine(job), jobLine("retry", tenant, job)].join("\n"));
  return 0;
};
