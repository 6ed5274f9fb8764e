import type { ReplayJob, RequestBody } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { confirm, followJob, jobLine, sameJobLine, timeFlag, windowLine } from "../job.ts";
import { type Command, client, clientOptions, oneOf, parse, printer, required, showHelp } from "../shared.ts";

/** `tocsin endpoint replay`: starts a replay job and follows it. */

const REPLAY_HELP = `Usage: tocsin endpoint replay --tenant ID --id ENDPOINT_ID --since TIME [--until TIME] [--status failed|all] [--yes] [--no-wait] [--json]

Starts a replay job and follows it with a progress bar (on stderr) until it finishes.
  --since TIME     Start of the range: an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d),
                   resolved by the server; the job shows the window it resolved to
  --until TIME     End of the range, exclusive (default: now)
  --status failed  Queue the endpoint's failed deliveries of the range again (default)
  --status all     Send every event of the range the endpoint subscribes to now, even those delivered
                   (those still pending are left alone). Asks first on a terminal; needs --yes otherwise
  --yes            Do not ask before --status all re-sends deliveries that already succeeded
  --no-wait        Print the job and return at once (follow it with GET /v1/tenants/ID/replays/RPL_ID)
The same replay asked again within a day is the same job: nothing is sent twice. "The same" is the
request as typed: the same endpoint, --status, and --since and --until as given (--since 1h asked
again later that day is the same job, not a new hour). Exits 0 when the job completed (or is left
running with --no-wait), 1 when it was cancelled (the endpoint was deleted) or the question was
answered no.`;

export const replay: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    id: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    status: { type: "string" },
    yes: { type: "boolean" },
    "no-wait": { type: "boolean" },
  });
  if (v.help) return showHelp(io, REPLAY_HELP);
  const tenant = required(v.tenant, "tenant");
  const id = required(v.id, "id");
  const body: RequestBody<"/v1/tenants/{tenant}/endpoints/{id}/replay", "post"> = { since: timeFlag(required(v.since, "since"), "since") };
  if (v.until !== undefined) body.until = timeFlag(v.until, "until");
  if (v.status !== undefined) body.status = oneOf(v.status, "status", ["failed", "all"]) as "failed" | "all";
  const api = client(v, env);
  if (body.status === "all") {
    const range = `since ${body.since}${body.until === undefined ? "" : ` until ${body.until}`}`;
    const what = `--status all re-sends every event ${range} that ${id} subscribes to, including deliveries that already succeeded`;
    if (!(await confirm(what, v.yes, io))) return 1;
  }
  const res = await api.POST("/v1/tenants/{tenant}/endpoints/{id}/replay", { params: { path: { tenant, id } }, body });
  let job: ReplayJob = await unwrap(res);
  // 200: the same request was made within the day; its job is answered again.
  const same = res.response.status === 200;
  if (!v["no-wait"]) job = await followJob(api, tenant, job, io);
  print(v.json, job, () => [...(same ? [sameJobLine("replay", job)] : []), windowLine(job), jobLine("replay", tenant, job)].join("\n"));
  return job.state === "cancelled" ? 1 : 0;
};
