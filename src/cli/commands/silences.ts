import type { RequestBody, ResponseData } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { type Command, UsageError, client, clientOptions, exclusive, oneOf, parse, printer, required, showHelp, table } from "../shared.ts";

/** `tocsin silences create|list|show|expire`: a tenant's silences and maintenance windows. */

type Silence = ResponseData<"/v1/tenants/{tenant}/silences/{id}", "get">;
type SilenceBody = RequestBody<"/v1/tenants/{tenant}/silences", "post">;

const CREATE_HELP = `Usage: tocsin silences create --tenant ID --comment TEXT [--match JSON] [--endpoint ID]...
         [--starts TIME] (--ends TIME | --duration D | --schedule SCHEDULE [--ends TIME]) [--json]

Creates a silence: nothing is sent for the events it matches (their deliveries are recorded as
suppressed, with the silence as the reason). An alert still open when it ends is sent then.
  --match JSON      Which events, in the endpoint filter language, e.g.
                    '{"payload.service": "db", "severity": {"$in": ["warning", "critical"]}}'
                    (default: every event)
  --endpoint ID     Only this endpoint; repeat for several (default: every endpoint of the tenant)
  --starts TIME     When it starts, RFC 3339 (default: now)
  --ends TIME       When it ends, RFC 3339
  --duration D      How long from the start: 30m, 2h, 3d
  --schedule S      A maintenance window: weekly windows, e.g.
                    'days=sun start=02:00 end=04:00 tz=Europe/Berlin' (days: mon,…,sun, comma-separated;
                    an end at or before the start is the next day); then --ends is optional
  --comment TEXT    Why (required)`;

const LIST_HELP = `Usage: tocsin silences list --tenant ID [--state active|pending|expired] [--endpoint ID] [--recurring | --one-off] [--limit N] [--json]

Lists the tenant's silences, newest first; expired ones stay listed. --endpoint: those that apply to
it (naming it, or the whole tenant). --recurring: maintenance windows only; --one-off: the others.`;

const SHOW_HELP = `Usage: tocsin silences show --tenant ID --id SIL_ID [--json]

Shows a silence: what it matches, where, when, who made it and how many deliveries it suppressed.`;

const EXPIRE_HELP = `Usage: tocsin silences expire --tenant ID --id SIL_ID [--json]

Ends a silence now. The alerts it held that are still open are sent at once. Exits 1 when it had
already expired.`;

const SCHEDULE_KEYS: Record<string, "days" | "start" | "end" | "timeZone"> = { days: "days", start: "start", end: "end", tz: "timeZone", timeZone: "timeZone" };

/** `days=sun start=02:00 end=04:00 tz=Europe/Berlin` as the API's schedule; the server checks the values. */
export function parseSchedule(text: string): NonNullable<SilenceBody["schedule"]> {
  const out: Record<string, unknown> = {};
  for (const part of text.trim().split(/\s+/)) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? undefined : SCHEDULE_KEYS[part.slice(0, eq)];
    if (eq < 0 || key === undefined || !Object.hasOwn(SCHEDULE_KEYS, part.slice(0, eq))) {
      throw new UsageError(`--schedule: ${JSON.stringify(part)} is not days=…, start=HH:MM, end=HH:MM or tz=ZONE`);
    }
    const value = part.slice(eq + 1);
    out[key] = key === "days" ? value.split(",").filter(Boolean) : value;
  }
  for (const k of ["days", "start", "end", "timeZone"]) if (out[k] === undefined) throw new UsageError(`--schedule: missing ${k === "timeZone" ? "tz" : k}=`);
  return out as NonNullable<SilenceBody["schedule"]>;
}

function describe(s: Silence): string {
  const scope = s.endpointIds === null ? "every endpoint" : s.endpointIds.join(", ");
  const when = s.schedule
    ? `${s.schedule.days.join(",")} ${s.schedule.start}–${s.schedule.end} ${s.schedule.timeZone}, from ${s.startsAt}${s.endsAt ? ` until ${s.endsAt}` : ""}`
    : `${s.startsAt} until ${s.endsAt ?? "-"}`;
  const by = `${s.createdBy.kind} key ${s.createdBy.keyId}${s.createdBy.name ? ` (${s.createdBy.name})` : ""}`;
  return [
    `${s.id}  ${s.state}${s.expiredEarly ? " (expired early)" : ""}`,
    `  matches:    ${JSON.stringify(s.matchers)}`,
    `  endpoints:  ${scope}`,
    `  when:       ${when}`,
    ...(s.currentWindow ? [`  window now: ${s.currentWindow.start} – ${s.currentWindow.end}`] : []),
    ...(s.nextWindow ? [`  next:       ${s.nextWindow.start} – ${s.nextWindow.end}`] : []),
    `  comment:    ${s.comment}`,
    `  created by: ${by} at ${s.createdAt}`,
    `  suppressed: ${s.suppressed}`,
  ].join("\n");
}

const create: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    match: { type: "string" },
    endpoint: { type: "string", multiple: true },
    starts: { type: "string" },
    ends: { type: "string" },
    duration: { type: "string" },
    schedule: { type: "string" },
    comment: { type: "string" },
  });
  if (v.help) return showHelp(io, CREATE_HELP);
  const tenant = required(v.tenant, "tenant");
  exclusive(v, ["ends", "duration"]);
  const body: SilenceBody = { comment: required(v.comment, "comment") };
  if (v.match !== undefined) {
    try {
      body.matchers = JSON.parse(v.match) as SilenceBody["matchers"];
    } catch {
      throw new UsageError(`--match is not JSON: ${v.match}`);
    }
  }
  if (v.endpoint?.length) body.endpointIds = v.endpoint;
  if (v.starts !== undefined) body.startsAt = v.starts;
  if (v.ends !== undefined) body.endsAt = v.ends;
  if (v.duration !== undefined) body.duration = v.duration;
  if (v.schedule !== undefined) body.schedule = parseSchedule(v.schedule);
  const s = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/silences", { params: { path: { tenant } }, body }));
  print(v.json, s, () => `created silence ${s.id} (${s.state})\n${describe(s)}`);
  return 0;
};

const list: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    state: { type: "string" },
    endpoint: { type: "string" },
    recurring: { type: "boolean" },
    "one-off": { type: "boolean" },
    limit: { type: "string" },
  });
  if (v.help) return showHelp(io, LIST_HELP);
  exclusive(v, ["recurring", "one-off"]);
  const query = {
    state: v.state === undefined ? undefined : (oneOf(v.state, "state", ["active", "pending", "expired"]) as Silence["state"]),
    endpointId: v.endpoint || undefined,
    recurring: v.recurring ? true : v["one-off"] ? false : undefined,
    limit: v.limit === undefined ? 50 : v.limit === "" ? NaN : Number(v.limit),
  };
  const page = await unwrap(client(v, env).GET("/v1/tenants/{tenant}/silences", { params: { path: { tenant: required(v.tenant, "tenant") }, query } }));
  const rows = page.data.map((s) => ({
    id: s.id,
    state: s.state,
    until: s.schedule ? `${s.schedule.days.join(",")} ${s.schedule.start}-${s.schedule.end} ${s.schedule.timeZone}` : s.endsAt,
    endpoints: s.endpointIds === null ? "all" : s.endpointIds.join(","),
    suppressed: s.suppressed,
    comment: s.comment,
  }));
  print(v.json, page, () => table(rows, ["id", "state", "until", "endpoints", "suppressed", "comment"]));
  return 0;
};

const show: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, SHOW_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const s = await unwrap(client(v, env).GET("/v1/tenants/{tenant}/silences/{id}", { params: { path } }));
  print(v.json, s, () => describe(s));
  return 0;
};

const expire: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, EXPIRE_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const s = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/silences/{id}/expire", { params: { path } }));
  print(v.json, s, () => `expired silence ${s.id} at ${s.endsAt}`);
  return 0;
};

/** The subcommands, by name. */
export const silencesCommands: Record<string, Command> = { create, list, show, expire };
