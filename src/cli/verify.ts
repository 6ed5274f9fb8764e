import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { verifyWebhook } from "@tocsin/verify";
import { parseSigningFlags, SIGNING_FLAG_OPTIONS, SIGNING_FLAGS_HELP } from "./signing-flags.ts";
import { coerceError } from "../core/errors.ts";

/** `tocsin verify`: checks the signature of one saved request, as a receiver would. */

type Out = { out: (s: string) => void; err: (s: string) => void };

export const VERIFY_HELP = `Usage: tocsin verify --secret SECRET|--public-key whpk_… --request-headers FILE --body FILE|- [SIGNING] [--json]

Checks a webhook request's signature the way a receiver must: exits 0 when it verifies, 1 with the
reason when it does not (bad signature, timestamp outside the tolerance, missing header), 2 on a
usage error. 'tocsin listen --save DIR' writes requests in this form.

  --request-headers FILE      The request's headers as a JSON object {"name": "value", ...}
  --body FILE                 The raw body bytes, exactly as received; - reads stdin
  --json                      Print the result as JSON

${SIGNING_FLAGS_HELP}`;

export async function runVerify(argv: string[], io: Out, usage: (message: string) => Error, stdin: () => Promise<Buffer>): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        ...SIGNING_FLAG_OPTIONS,
        "request-headers": { type: "string" },
        body: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw usage(coerceError(e).message);
  }
  if (v.help) {
    io.out(VERIFY_HELP);
    return 0;
  }
  const choice = parseSigningFlags(v, usage);
  if (choice.secrets.length === 0 && choice.signing.scheme !== "none")
    throw usage("--secret is required (the endpoint's signing secret), or --public-key whpk_… for ed25519");
  if (v["request-headers"] === undefined) throw usage("--request-headers FILE is required (the request's headers as a JSON object)");
  if (v.body === undefined) throw usage("--body FILE is required (- reads the body from stdin)");
  const headers = readHeaders(v["request-headers"], usage);
  let body: Buffer;
  try {
    body = v.body === "-" ? await stdin() : readFileSync(v.body);
  } catch (e) {
    throw usage(`cannot read --body ${v.body}: ${(e as NodeJS.ErrnoException).code ?? coerceError(e).message}`);
  }
  // Under --scheme none there is no secret to give: the library answers not_signed whatever it is.
  let result;
  try {
    result = verifyWebhook({
      secret: choice.secrets.length ? choice.secrets : "unused",
      signing: choice.signing,
      headers,
      body,
      toleranceSec: choice.toleranceSec,
    });
  } catch (e) {
    // The library throws only on wrong options (a malformed whpk_ key): a usage error.
    if (e instanceof TypeError) throw usage(e.message.replace(/^verifyWebhook: /, ""));
    throw e;
  }
  if (v.json) io.out(JSON.stringify(result));
  else if (result.ok) {
    const parts = [
      result.id && `webhook-id ${result.id}`,
      result.timestamp !== null && `signed ${new Date(result.timestamp * 1000).toISOString()}`,
      choice.secrets.length > 1 && `${choice.secrets[result.secretIndex]?.startsWith("whpk_") ? "key" : "secret"} #${result.secretIndex + 1}`,
    ];
    io.out(`verified: the signature matches${parts.some(Boolean) ? ` (${parts.filter(Boolean).join(", ")})` : ""}`);
  } else {
    io.err(`not verified (${result.reason}): ${result.message}`);
  }
  return result.ok ? 0 : 1;
}

function readHeaders(file: string, usage: (message: string) => Error): Record<string, string | string[]> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw usage(`cannot read --request-headers ${file}: ${(e as NodeJS.ErrnoException).code ?? coerceError(e).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usage(`--request-headers ${file} is not JSON: ${coerceError(e).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw usage(`--request-headers ${file} must hold a JSON object of header names to values`);
  for (const [k, val] of Object.entries(parsed)) {
    const ok = typeof val === "string" || (Array.isArray(val) && val.every((x) => typeof x === "string"));
    if (!ok) throw usage(`--request-headers ${file}: header ${JSON.stringify(k)} must be a string or a list of strings`);
  }
  return parsed as Record<string, string | string[]>;
}
