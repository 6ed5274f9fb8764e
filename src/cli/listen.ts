import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { type Signing, verifyWebhook } from "@tocsin/verify";
import { describeSigning, parseSigningFlags, SIGNING_FLAG_OPTIONS, SIGNING_FLAGS_HELP } from "./signing-flags.ts";
import { coerceError } from "../core/errors.ts";
import { type Shown, render, sendHint } from "./listen-display.ts";

/**
 * `tocsin listen`: a local receiver that shows each webhook as it arrives (request, pretty body,
 * whether its signature verifies) and answers as told, so a receiver's side can be tried before
 * it is written. It answers both validation modes by itself and can relay to the user's app.
 */

type Out = { out: (s: string) => void; err: (s: string) => void };

export const LISTEN_HELP = `Usage: tocsin listen [--port N] [--host ADDR] [SIGNING] [--status N] [--fail-first N]
                     [--forward URL] [--save DIR] [--tenant ID [--event-types LIST] [--keep]] [--json]

Starts a local webhook receiver and prints every request: method, path, headers, the body
(pretty JSON, numbers as sent) and whether its signature verifies (with --secret). It answers
both endpoint validation modes by itself (token path: 200; challenge: echoes it). Ctrl-C stops.

  --port N            Port to listen on (default 4000; 0 picks a free one)
  --host ADDR         Address to listen on (default 127.0.0.1)
  --status N          Answer webhooks with this status (default 200)
  --fail-first N      Answer the first N webhooks with 500, to watch the retries (default 0)
  --forward URL       Relay each webhook to your app at URL (method, headers and body as received)
                      and answer with your app's answer; its status and body are shown
  --save DIR          Also write each request as DIR/NNNN.headers.json and DIR/NNNN.body, the
                      input of 'tocsin verify'
  --json              One JSON object per request instead of the text display
  --tenant ID         Register this receiver as an endpoint of tenant ID on the Tocsin server
                      (--url, --api-key as for client commands; the tenant is created if it does
                      not exist) and verify with that endpoint's secret; the endpoint is deleted
                      on Ctrl-C unless --keep. The server must allow loopback receivers
                      (TOCSIN_ALLOW_PRIVATE_NETWORKS=true or TOCSIN_ALLOWED_CIDRS=127.0.0.1/32).
  --event-types LIST  With --tenant: the endpoint's event types (default '*')
  --keep              With --tenant: keep the endpoint when listen stops

${SIGNING_FLAGS_HELP}`;

/** What `--tenant` registered on the server. */
export interface ListenRegistration {
  tenantId: string;
  endpointId: string;
  secret: string;
  signing: Signing;
  /** Whether the tenant was created for this. */
  createdTenant: boolean;
  remove(): Promise<void>;
}

export type ListenRegister = (r: {
  tenant: string;
  url: string;
  eventTypes: string[];
  signing: Signing | null;
  secret: string | null;
  name: string;
}) => Promise<ListenRegistration>;

/** Flags this command adds to the client flags (--url, --api-key) that main.ts parses with it. */
export const LISTEN_OPTIONS = {
  ...SIGNING_FLAG_OPTIONS,
  port: { type: "string" },
  host: { type: "string" },
  status: { type: "string" },
  "fail-first": { type: "string" },
  forward: { type: "string" },
  save: { type: "string" },
  tenant: { type: "string" },
  "event-types": { type: "string" },
  keep: { type: "boolean" },
} as const;

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const FORWARD_TIMEOUT_MS = 30_000;
const REMOVE_TIMEOUT_MS = 5_000;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection", "te", "trailer"]);

type ListenValues = Record<string, string | string[] | boolean | undefined>;

export async function runListen(values: ListenValues, io: Out, usage: (message: string) => Error, register: ListenRegister | null): Promise<number> {
  const v = values as Record<string, string | undefined> & { secret?: string[]; keep?: boolean; json?: boolean };
  const choice = parseSigningFlags(v, usage);
  const port = intFlag(v.port, "port", 0, 65535, 4000, usage);
  const host = v.host ?? "127.0.0.1";
  const status = intFlag(v.status, "status", 200, 599, 200, usage);
  const failFirst = intFlag(v["fail-first"], "fail-first", 0, 1_000_000, 0, usage);
  let forward: URL | null = null;
  if (v.forward !== undefined) {
    try {
      forward = new URL(v.forward);
    } catch {
      throw usage(`--forward ${JSON.stringify(v.forward)} is not an absolute URL (e.g. http://localhost:3001/webhooks)`);
    }
    if (forward.protocol !== "http:" && forward.protocol !== "https:") throw usage("--forward must be an http or https URL");
    if (v.status !== undefined) throw usage("--status does not apply with --forward: your app's answer is returned");
  }
  if (v.tenant === undefined && (v["event-types"] !== undefined || v.keep)) throw usage("--event-types and --keep apply with --tenant only");
  if (v.tenant !== undefined && !register) throw usage("--tenant needs a Tocsin server (--url, --api-key)");
  if (v.save !== undefined) {
    try {
      mkdirSync(v.save, { recursive: true });
    } catch (e) {
      throw usage(`cannot create --save ${v.save}: ${(e as NodeJS.ErrnoException).code ?? coerceError(e).message}`);
    }
  }
  const json = Boolean(v.json);
  let secrets = choice.secrets;
  let signing = choice.signing;
  let seen = 0;
  let webhooks = 0;
  let verified = 0;
  let rejected = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const n = ++seen;
    const at = new Date();
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413, { "content-type": "text/plain" }).end(`body over ${MAX_BODY_BYTES} bytes\n`);
      io.err(`#${n} ${req.method} ${req.url}: body over ${MAX_BODY_BYTES} bytes, answered 413`);
      return;
    }
    const text = body.toString("utf8");
    const validation = validationOf(req, text);
    const verification =
      secrets.length === 0 && signing.scheme !== "none"
        ? null
        : verifyWebhook({ secret: secrets.length ? secrets : "unused", signing, headers: req.headers, body, toleranceSec: choice.toleranceSec });
    if (verification?.ok) verified++;
    else if (verification && signing.scheme !== "none") rejected++;
    const shown: Shown = {
      n,
      at: at.toISOString(),
      method: req.method ?? "?",
      path: req.url ?? "/",
      headers: req.headers,
      body: text,
      bodyBytes: body.length,
      validation: validation?.mode ?? null,
      verification,
      answer: { status: 200, reason: "" },
      forwarded: null,
      saved: null,
    };
    if (v.save !== undefined) shown.saved = save(v.save, n, req.headers, body, io);

    let reply: { status: number; type: string | null; body: string | Buffer };
    if (validation) {
      reply =
        validation.mode === "challenge"
          ? { status: 200, type: "application/json", body: JSON.stringify({ challenge: validation.token }) }
          : { status: 200, type: null, body: "" };
      shown.answer = { status: 200, reason: validation.mode === "challenge" ? "echoed the validation challenge" : "validation by token path" };
    } else if (++webhooks <= failFirst) {
      reply = { status: 500, type: "text/plain", body: `failing on purpose (--fail-first ${failFirst}: ${webhooks} of ${failFirst})\n` };
      shown.answer = { status: 500, reason: `--fail-first ${failFirst}: ${webhooks} of ${failFirst}` };
    } else if (forward) {
      const f = await relay(forward, req, body);
      shown.forwarded = { url: forward.href, status: f.status, ms: f.ms, body: f.body.toString("utf8"), error: f.error };
      reply = f.error
        ? { status: 502, type: "text/plain", body: `tocsin listen could not reach ${forward.href}: ${f.error}\n` }
        : { status: f.status!, type: f.type, body: f.body };
      shown.answer = { status: reply.status, reason: f.error ? "your app did not answer" : "your app's answer" };
    } else {
      reply = { status, type: null, body: "" };
      shown.answer = { status, reason: v.status !== undefined ? "--status" : "" };
    }
    const headers: Record<string, string> = {};
    if (reply.type) headers["content-type"] = reply.type;
    res.writeHead(reply.status, headers).end(reply.body);
    io.out(json ? JSON.stringify(shown) : render(shown, signing));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      io.err(`error handling ${req.method} ${req.url}: ${coerceError(e).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(
      code === "EADDRINUSE" ? `port ${port} on ${host} is in use: choose another with --port` : `cannot listen on ${host}:${port}: ${coerceError(e).message}`,
    );
    return 1;
  }
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${boundPort}/`;

  let registration: ListenRegistration | null = null;
  const eventTypes = (v["event-types"] ?? "*")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (v.tenant !== undefined && register) {
    try {
      registration = await register({
        tenant: v.tenant,
        url,
        eventTypes,
        signing: choice.explicit ? choice.signing : null,
        secret: choice.secrets[0] ?? null,
        name: `tocsin listen on ${hostname()}:${boundPort}`,
      });
    } catch (e) {
      server.close();
      server.closeAllConnections();
      io.err(`cannot register an endpoint in tenant ${v.tenant}: ${coerceError(e).message}`);
      return 1;
    }
    if (secrets.length === 0) secrets = [registration.secret];
    signing = registration.signing;
  }

  const banner = [`Listening on ${url} (Ctrl-C stops)`];
  if (registration) {
    banner.push(
      `Endpoint ${registration.endpointId} of tenant ${registration.tenantId}${registration.createdTenant ? " (tenant created)" : ""} delivers here; ${v.keep ? "it stays after listen stops" : "it is deleted when listen stops"}.`,
      registration.secret.startsWith("whpk_") ? `Public key: ${registration.secret}` : `Secret: ${registration.secret}`,
    );
  }
  banner.push(
    secrets.length || signing.scheme === "none"
      ? `Signatures: ${describeSigning(signing)}, checked${choice.toleranceSec ? ` with a ${choice.toleranceSec} s tolerance` : ", any age"}`
      : "Signatures: not checked (give --secret, or use --tenant)",
  );
  if (failFirst) banner.push(`The first ${failFirst} webhook(s) get 500.`);
  if (forward) banner.push(`Relaying to ${forward.href}`);
  if (registration) banner.push(`Try: ${sendHint(registration.tenantId, eventTypes, v.url)}`);
  io.err(banner.join("\n"));
  if (json) io.out(JSON.stringify({ listening: url, endpointId: registration?.endpointId ?? null, tenantId: registration?.tenantId ?? null }));

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        io.err(`${signal} again: stopping now${registration && !v.keep ? ` (endpoint ${registration.endpointId} is left in place)` : ""}`);
        resolve(130);
        return;
      }
      stopping = true;
      server.close();
      server.closeAllConnections();
      if (registration && !v.keep) {
        try {
          await withTimeout(registration.remove(), REMOVE_TIMEOUT_MS);
          io.err(`Deleted endpoint ${registration.endpointId}.`);
        } catch (e) {
          io.err(
            `could not delete endpoint ${registration.endpointId} (${coerceError(e).message}): remove it with 'tocsin endpoint rm --tenant ${registration.tenantId} --id ${registration.endpointId}'`,
          );
        }
      }
      io.err(`Stopped. ${seen} request(s): ${webhooks} webhook(s)${secrets.length ? `, ${verified} verified, ${rejected} not verified` : ""}.`);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(0);
    };
    const onInt = () => void stop("Ctrl-C");
    const onTerm = () => void stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

function intFlag(raw: string | undefined, name: string, min: number, max: number, dflt: number, usage: (m: string) => Error): number {
  if (raw === undefined) return dflt;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw usage(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The body as bytes, or null when it is over the limit. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Tocsin's validation requests: the token path (mon1tor) and the challenge to echo. */
function validationOf(req: IncomingMessage, text: string): { mode: "challenge" | "token-path"; token: string } | null {
  if (text.length > 0 && text.length < 512 && text.startsWith("{")) {
    try {
      const o = JSON.parse(text) as { type?: unknown; challenge?: unknown; token?: unknown };
      if (o.type === "tocsin.endpoint.challenge" && typeof o.challenge === "string") return { mode: "challenge", token: o.challenge };
      if (o.type === "tocsin.endpoint.validation" && typeof o.token === "string") return { mode: "token-path", token: o.token };
    } catch {
      // not a validation request
    }
  }
  // A token-path validation by GET carries no body: the token is the path's last segment.
  const last = (req.url ?? "").split("?")[0]?.split("/").pop() ?? "";
  if (req.method === "GET" && text.length === 0 && /^[0-9a-f]{32}$/.test(last)) return { mode: "token-path", token: last };
  return null;
}

function save(dir: string, n: number, headers: IncomingMessage["headers"], body: Buffer, io: Out): string | null {
  const base = join(dir, String(n).padStart(4, "0"));
  try {
    writeFileSync(`${base}.headers.json`, `${JSON.stringify(headers, null, 2)}\n`);
    writeFileSync(`${base}.body`, body);
    return base;
  } catch (e) {
    io.err(`cannot save request #${n} in ${dir}: ${coerceError(e).message}`);
    return null;
  }
}

async function relay(
  target: URL,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number | null; type: string | null; body: Buffer; ms: number; error: string | null }> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, val] of Object.entries(req.headers)) if (val !== undefined && !HOP_BY_HOP.has(k)) headers[k] = val;
  const started = performance.now();
  try {
    const r = await request(target, {
      method: (req.method ?? "POST") as "POST",
      headers,
      body: body.length ? body : undefined,
      headersTimeout: FORWARD_TIMEOUT_MS,
      bodyTimeout: FORWARD_TIMEOUT_MS,
    });
    const out = Buffer.from(await r.body.arrayBuffer());
    const type = r.headers["content-type"];
    return { status: r.statusCode, type: typeof type === "string" ? type : null, body: out, ms: Math.round(performance.now() - started), error: null };
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string } };
    return { status: null, type: null, body: Buffer.alloc(0), ms: Math.round(performance.now() - started), error: err.code ?? err.cause?.code ?? err.message };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
