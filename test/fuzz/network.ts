import diagnostics from "node:diagnostics_channel";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { isIP } from "node:net";

// ---------------------------------------------------------------------------------------------
// No traffic leaves the machine
//
// Generated bodies may name any receiver URL, and the server contacts receivers on its own
// (deliveries, validation when an endpoint is saved, POST …/test and …/validate). Three layers
// make sure nothing goes further than this process:
//  1. confineBody, on every body just before it is sent: when the body parses as JSON the way the
//     server parses it (JSON.parse of the UTF-8 text, a leading BOM dropped as secure-json-parse
//     does; a body that does not parse is refused by the server and stores nothing), every string
//     in it that is an http(s) URL to the WHATWG parser the server uses, with a host that is not
//     under .invalid (RFC 2606/6761: never resolves) nor a loopback literal, is replaced with
//     https://confined.example.invalid/. Receiver URLs only come from bodies, so the server
//     never learns another host. (Private networks are NOT allowed on this server: it refuses
//     literal loopback and private addresses itself; global literals such as http://8.8.8.8/ are
//     what the rewrite keeps out.) The seeded endpoints use .invalid hosts too.
//  2. The server runs in this process: dns.lookup is replaced with one that fails every name with
//     ENOTFOUND without sending a query, so not even a DNS packet for a .invalid name leaves.
//  3. Every connection undici's clients start is recorded (diagnostics channel
//     undici:client:beforeConnect) and the test fails if one went to a host other than a .invalid
//     name or a loopback address.

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4})$/i;

/** A host the fuzzed server may be told about: under .invalid, or a loopback literal. */
export function confinedHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(h)) return LOOPBACK.test(h);
  return h === "invalid" || h.endsWith(".invalid") || h.endsWith(".invalid.");
}

export const CONFINED_URL = "https://confined.example.invalid/";

/** `value` with every http(s) URL whose host is not confined replaced (see above). */
export function confineUrls(value: unknown): unknown {
  if (typeof value === "string") {
    const u = URL.parse(value);
    if (u && (u.protocol === "http:" || u.protocol === "https:") && !confinedHost(u.hostname)) return CONFINED_URL;
    return value;
  }
  if (Array.isArray(value)) return value.map(confineUrls);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: confineUrls(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Every string value inside a parsed JSON document, without recursion (bodies nest 100,000 deep). */
function hasUnconfinedUrl(doc: unknown): boolean {
  const stack: unknown[] = [doc];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") {
      if (confineUrls(x) !== x) return true;
    } else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x && typeof x === "object") for (const y of Object.values(x)) stack.push(y);
  }
  return false;
}

/** `body`, or, when the server would read an unconfined receiver URL in it, a rewritten copy (see above). */
export function confineBody(body: Buffer): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    return body;
  }
  if (!hasUnconfinedUrl(doc)) return body;
  try {
    return Buffer.from(JSON.stringify(confineUrls(doc)));
  } catch {
    return Buffer.from("null");
  }
}

export interface NetworkGuard {
  /** Hosts undici was asked to connect to. */
  connects: string[];
  /** Names the server tried to resolve (all refused). */
  lookups: string[];
  /** Connections to anything but a .invalid name or loopback. */
  escaped(): string[];
  restore(): void;
}

export function confineNetwork(): NetworkGuard {
  const dns = createRequire(import.meta.url)("node:dns") as typeof import("node:dns");
  const connects: string[] = [];
  const lookups: string[] = [];
  const original = { lookup: dns.lookup, promisesLookup: dns.promises.lookup };
  const refusal = (hostname: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (name resolution is disabled while fuzzing)`), {
      code: "ENOTFOUND",
      syscall: "getaddrinfo",
      hostname,
    });
  // Literal addresses need no query (listen() looks up "127.0.0.1" too): those go through.
  const lookup = (hostname: string, ...rest: unknown[]) => {
    if (isIP(hostname)) return (original.lookup as (...a: unknown[]) => void)(hostname, ...rest);
    lookups.push(hostname);
    const callback = rest.at(-1) as (err: Error) => void;
    process.nextTick(callback, refusal(hostname));
  };
  dns.lookup = lookup as unknown as typeof dns.lookup;
  dns.promises.lookup = (async (hostname: string, ...rest: unknown[]) => {
    if (isIP(hostname)) return (original.promisesLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
    lookups.push(hostname);
    throw refusal(hostname);
  }) as unknown as typeof dns.promises.lookup;
  syncBuiltinESMExports();
  const onConnect = (message: unknown) => {
    const p = (message as { connectParams?: { hostname?: string; host?: string } }).connectParams;
    connects.push(p?.hostname ?? p?.host ?? "?");
  };
  diagnostics.subscribe("undici:client:beforeConnect", onConnect);
  return {
    connects,
    lookups,
    escaped: () => connects.filter((h) => !confinedHost(h)),
    restore() {
      diagnostics.unsubscribe("undici:client:beforeConnect", onConnect);
      dns.lookup = original.lookup;
      dns.promises.lookup = original.promisesLookup;
      syncBuiltinESMExports();
    },
  };
}
