import type { ReplayJob, RequestBody } from "@tocsin/client";
import { parseDuration } from "../../core/retry-policy.ts";
import { unwrap } from "../client.ts";
import { type Command, type Out, UsageError, client, clientOptions, oneOf, parse, printer, required, showHelp } from "../shared.ts";

/** `tocsin endpoint replay`: starts a replay job and follows it. */

type ReplayDoc = ReplayJob;

const REPLAY_HELP = `Usage: tocsin endpoint replay --tenant ID --id ENDPOINT_ID --since TIME [--until TIME] [--status failed|all] [--no-wait] [--json]

Starts a replay job and follows it with a progress bar (on stderr) until it finishes.
  --since TIME     Start of the range: an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d)
  --until TIME     End of the range, exclusive (default: now)
  --status failed  Queue the endpoint's failed deliveries of the range again (default)
  --status all     Send every event of the range the endpoint subscribes to now, even those delivered
                   (those still pending are left alone)
  --no-wait        Print the job and return at once (follow it with GET /v1/tenants/ID/replays/RPL_ID)
The same replay asked again within a day is the same job: nothing is sent twice. Exits 0 when the
job completed, 1 when it was cancelled (the endpoint was deleted).`;

export const replay: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    id: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    status: { type: "string" },
    "no-wait": { type: "boolean" },
  });
  if (v.help) return showHelp(io, REPLAY_HELP);
  const tenant = required(v.tenant, "tenant");
  const now = Date.now();
  const body: RequestBody<"/v1/tenants/{tenant}/endpoints/{id}/replay", "post"> = { since: timeFlag(required(v.since, "since"), "since", now) };
  if (v.until !== undefined) body.until = timeFlag(v.until, "until", now);
  if (v.status !== undefined) body.status = oneOf(v.status, "status", ["failed", "all"]) as "failed" | "all";
  const api = client(v, env);
  let job: ReplayDoc = await unwrap(api.POST("/v1/tenants/{tenant}/endpoints/{id}/replay", { params: { path: { tenant, id: required(v.id, "id") } }, body }));
  if (!v["no-wait"]) {
    const bar = progressBar(io);
    // Bounded: a day of polling at most; the job goes on in the server if the CLI stops.
    for (let i = 0; job.state === "running" && i < 172_800; i++) {
      bar(job);
      await new Promise((r) => setTimeout(r, 500));
      job = await unwrap(api.GET("/v1/tenants/{tenant}/replays/{id}", { params: { path: { tenant, id: job.id } } }));
    }
    bar(job, true);
  }
  print(v.json, job, () =>
    job.state === "running"
      ? `replay ${job.id} started: ${job.total} to look at (follow it with: GET /v1/tenants/${tenant}/replays/${job.id})`
      : `replay ${job.id} ${job.state}: ${job.queued} deliveries queued, ${job.skipped} skipped, of ${job.processed} looked at`,
  );
  return job.state === "cancelled" ? 1 : 0;
};

/** An ISO date-time as given, or a duration ago ("2h", "3d") as one. */
function timeFlag(v: string, flag: string, now: number): string {
  if (/^\d+(ms|s|m|h|d)$/.test(v)) return new Date(now - parseDuration(v)).toISOString();
  if (!Number.isFinite(Date.parse(v)))
    throw new UsageError(`--${flag} takes an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d), not ${JSON.stringify(v)}`);
  return v;
}

/** Draws a job's progress on stderr: redrawn in place on a terminal, a line per tenth otherwise. */
function progressBar(io: Out): (job: ReplayDoc, last?: boolean) => void {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (job, last = false) => {
    const pct = Math.floor(job.progress * 100);
    const filled = Math.round(job.progress * 30);
    const line = `[${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${String(pct).padStart(3)}%  ${job.processed}/${job.total} looked at, ${job.queued} queued`;
    if (tty) {
      process.stderr.write(`\r${line}${last ? "\n" : ""}`);
    } else if (last || Math.floor(pct / 10) > shown) {
      shown = Math.floor(pct / 10);
      io.err(line);
    }
  };
}
