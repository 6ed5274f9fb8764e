import type { RequestBody } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { type Command, SEVERITIES, UsageError, client, clientOptions, oneOf, parse, printer, readInput, required, showHelp } from "../shared.ts";
import { coerceError } from "../../core/errors.ts";

/** `tocsin send`: posts an event (or several) from a file or stdin. */

const SEND_HELP = `Usage: tocsin send --tenant ID [--type TYPE] [--severity LEVEL] [--fingerprint KEY [--state start|ongoing|end]] [--file FILE | -] [--idempotency-key KEY] [--json]

With --type, the file (or stdin) holds the payload. Without it, the file holds what the API takes:
an event {"type", "severity", "payload", "idempotencyKey"} or an array of them. Numbers keep their
exact text. --severity (info, low, medium, high, critical; with --type) lets endpoints filter on
it (--min-severity). --fingerprint names the alert the event updates and --state its phase
(default start); endpoints throttle ongoing updates (--ongoing-interval).`;

export const send: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    type: { type: "string" },
    severity: { type: "string" },
    fingerprint: { type: "string" },
    state: { type: "string" },
    file: { type: "string" },
    "idempotency-key": { type: "string" },
  });
  if (v.help) return showHelp(io, SEND_HELP);
  const tenant = required(v.tenant, "tenant");
  if (v.severity !== undefined) oneOf(v.severity, "severity", SEVERITIES);
  if (!v.type && v.severity !== undefined) throw new UsageError("--severity needs --type (put severity in the event document otherwise)");
  if (v.state !== undefined) oneOf(v.state, "state", ["start", "ongoing", "end"]);
  if (v.state !== undefined && v.fingerprint === undefined) throw new UsageError("--state needs --fingerprint (the alert whose state it is)");
  if (!v.type && v.fingerprint !== undefined) throw new UsageError("--fingerprint needs --type (put fingerprint in the event document otherwise)");
  const text = (await readInput(v.file)).trim();
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UsageError(`the input is not valid JSON: ${coerceError(e).message}`);
  }
  let body = text;
  if (v.type) {
    // Splice the payload text in as is, so numbers keep their exact source text.
    const extra = [
      v.severity !== undefined ? `"severity":${JSON.stringify(v.severity)},` : "",
      v.fingerprint !== undefined ? `"fingerprint":${JSON.stringify(v.fingerprint)},` : "",
      v.state !== undefined ? `"state":${JSON.stringify(v.state)},` : "",
      v["idempotency-key"] ? `"idempotencyKey":${JSON.stringify(v["idempotency-key"])},` : "",
    ].join("");
    body = `{"type":${JSON.stringify(v.type)},${extra}"payload":${text}}`;
  } else if (v["idempotency-key"]) {
    throw new UsageError("--idempotency-key needs --type (put idempotencyKey in the event document otherwise)");
  }
  // The text goes out as it is, so numbers keep their exact source text; the server checks it.
  const events = JSON.parse(body) as RequestBody<"/v1/tenants/{tenant}/events", "post">;
  const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/events", { params: { path: { tenant } }, body: events, bodySerializer: () => body }));
  print(v.json, r, () => {
    const list = "events" in r ? r.events : [r];
    return list.map((e) => `event ${e.id}: ${e.deliveries} deliver${e.deliveries === 1 ? "y" : "ies"}`).join("\n");
  });
  return 0;
};
