import assert from "node:assert/strict";
import http from "node:http";
import { spellingsOf } from "../support/spellings.ts";
import { type Seed, VICTIM } from "./fixtures.ts";
import { confineBody } from "./network.ts";
import { pct } from "./requests.ts";
import { type AuthSpec, type BodySpec, type FuzzRequest, type Operation, type Piece, REF_MARK, type Ref } from "./routes.ts";
import { nodesOf, setAt } from "./values.ts";

// ---------------------------------------------------------------------------------------------
// Raw HTTP: node:http sends paths, methods and headers as given (fetch would normalise `../`,
// refuse some headers and methods, and always send one Host).

export interface Wire {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer | null;
  chunked: boolean;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function sendOnce(base: URL, agent: http.Agent | false, w: Wire, timeoutMs: number): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { host: base.hostname, port: base.port, method: w.method, path: w.path, headers: w.headers.flat(), agent, setHost: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "FUZZ_TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => {
      // The server may answer (413, 401, 415) and close before reading the whole body.
      if (answered) return;
      reject(Object.assign(e, { reusedSocket: req.reusedSocket }));
    });
    if (w.body && w.chunked && w.body.length > 1) {
      const half = w.body.length >> 1;
      req.write(w.body.subarray(0, half));
      req.end(w.body.subarray(half));
    } else req.end(w.body ?? undefined);
  });
}

export async function send(base: URL, agent: http.Agent, w: Wire, timeoutMs = 15_000): Promise<WireResponse> {
  try {
    return await sendOnce(base, agent, w, timeoutMs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { reusedSocket?: boolean };
    // A kept-alive socket the server had closed after its previous answer: send again on a new one.
    if (err.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE" || /socket hang up/.test(err.message))) {
      return sendOnce(base, false, w, timeoutMs);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// A generated request as it goes on the wire

const READ_METHODS = new Set(["GET", "HEAD"]);

export interface WireContext {
  base: URL;
  /** The admin key. */
  apiKey: string;
  victim: Seed;
  target: Seed;
}

export type ToWire = (op: Operation, req: FuzzRequest) => { wire: Wire; tenant: string | null; note: string };

/**
 * Turns generated requests into requests on the wire: references resolved to the ids the seeded
 * tenants have when the request is sent, bodies confined (network.ts), credentials filled in.
 */
export function wireBuilder({ base, apiKey, victim, target }: WireContext): ToWire {
  const seedOf = (r: Ref) => (r.ref === "victim" ? victim : target);
  function resolveRef(r: Ref): string {
    const s = seedOf(r);
    if (r.kind === "tenant") return s.tenant;
    const pool = s.ids[r.kind]?.length ? s.ids[r.kind] : Object.values(s.ids).flat();
    const id = pool[r.n % pool.length] ?? "none";
    return r.cursor ? Buffer.from(id).toString("base64url") : id;
  }
  const isRef = (p: Piece): p is Ref => "ref" in p;
  const resolveStrings = (v: unknown): unknown => {
    if (typeof v === "string" && v.startsWith(REF_MARK)) {
      const [ref, kind, n] = v.slice(REF_MARK.length).split(":");
      return resolveRef({ ref: ref as Ref["ref"], kind, n: Number(n) });
    }
    if (Array.isArray(v)) return v.map(resolveStrings);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: resolveStrings(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };

  function bodyBytes(b: BodySpec): { bytes: Buffer | null; note: string } {
    const { bytes, note } = bodyOf(b);
    return { bytes: bytes && confineBody(bytes), note };
  }

  function bodyOf(b: BodySpec): { bytes: Buffer | null; note: string } {
    const prepare = resolveStrings; // ids of the seeded tenants, where the generator put references
    switch (b.kind) {
      case "none":
        return { bytes: null, note: "no body" };
      case "json":
        return { bytes: Buffer.from(JSON.stringify(prepare(b.value)) ?? "null"), note: b.variant };
      case "text":
        return { bytes: Buffer.from(b.text), note: b.variant };
      case "bytes":
        return { bytes: Buffer.from(b.hex, "hex"), note: "raw bytes" };
      case "deep": {
        const v = prepare(b.base);
        const nodes = nodesOf(v);
        const mark = "\u0002deep\u0002";
        const text = JSON.stringify(setAt(v, nodes[b.at % nodes.length], mark)) ?? "null";
        const nested = b.shape === "array" ? "[".repeat(b.depth) + "]".repeat(b.depth) : '{"a":'.repeat(b.depth) + "{}" + "}".repeat(b.depth);
        return { bytes: Buffer.from(text.replace(JSON.stringify(mark), () => nested)), note: `nested ${b.depth} ${b.shape}s deep` };
      }
      case "sized": {
        const v = prepare(b.base);
        const nodes = nodesOf(v);
        const strings = nodes.filter((p) => typeof p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v) === "string");
        const at = strings.length ? strings[b.at % strings.length] : nodes[b.at % nodes.length];
        const empty = Buffer.byteLength(JSON.stringify(setAt(v, at, "")) ?? "null");
        const pad = Math.max(0, b.bytes - empty);
        return { bytes: Buffer.from(JSON.stringify(setAt(v, at, "x".repeat(pad))) ?? "null"), note: `padded to ${b.bytes} bytes` };
      }
    }
  }

  const authHeader = (a: AuthSpec): (string | null)[] => {
    const admin = `Bearer ${apiKey}`;
    switch (a.kind) {
      case "admin":
        return [admin];
      case "tenant-key":
        return [`Bearer ${target.key}`];
      case "bad":
        return [a.header];
      case "duplicate":
        return a.first === "admin" ? [admin, "Bearer nope"] : ["Bearer nope", admin];
    }
  };

  /** The request on the wire, with victim data kept out of reach of anything that writes. */
  function toWire(op: Operation, req: FuzzRequest): { wire: Wire; tenant: string | null; note: string } {
    const read = READ_METHODS.has(req.method);
    const hasTenant = op.pathParams.some((p) => p.name === "tenant");
    const segments = op.pathParams.map((p, i) => {
      let piece = req.params[i];
      // Writes never address the victim tenant, and global routes (DELETE /v1/keys/{id}) never
      // name a victim object; under another tenant's path the victim's ids are sent on purpose.
      if (!read && isRef(piece) && piece.ref === "victim" && (p.name === "tenant" || !hasTenant)) piece = { ...piece, ref: "target" };
      return isRef(piece) ? resolveRef(piece) : piece.wire;
    });
    const tenantAt = op.pathParams.findIndex((p) => p.name === "tenant");
    const tenant = tenantAt >= 0 ? safeDecode(segments[tenantAt]) : null;
    let i = 0;
    const canonical = req.template.replace(/\{[^}]+\}/g, () => segments[i++]);
    const path = spell(req.template, canonical, req.spelling);
    const query = [
      ...req.query.map((q) => (q.value === null ? q.key : `${q.key}=${isRef(q.value) ? resolveRef(q.value) : q.value.wire}`)),
      ...(req.rawQuery ? [req.rawQuery] : []),
    ].join("&");
    if (!read) {
      const decoded = safeDecode(path);
      const victimIds = [VICTIM, ...(hasTenant ? [] : Object.values(victim.ids).flat())];
      assert.ok(
        tenant !== VICTIM && !victimIds.some((id) => decoded.split("/").includes(id)),
        `generator bug: a write that addresses victim data: ${req.method} ${path}`,
      );
    }
    const { bytes, note } = bodyBytes(req.body);
    const headers: [string, string][] = [];
    // Credentials and framing are the generator's own choices (auth, body); a fuzzed Content-Type comes after the chosen one.
    const fuzzed = req.headers.filter(([k]) => !/^(authorization|content-length|transfer-encoding)$/i.test(k));
    if (!fuzzed.some(([k]) => k.toLowerCase() === "host")) headers.push(["host", base.host]);
    for (const h of authHeader(req.auth)) if (h !== null) headers.push(["authorization", h]);
    const ct = req.contentType === "auto" ? (bytes ? "application/json" : null) : req.contentType;
    if (ct !== null) headers.push(["content-type", ct]);
    headers.push(...fuzzed);
    const chunked = req.chunked && bytes !== null;
    if (bytes !== null) headers.push(chunked ? ["transfer-encoding", "chunked"] : ["content-length", String(bytes.length)]);
    // Node's client refuses spaces, controls and characters above 0xFF in a request target.
    const target = (query ? `${path}?${query}` : path).replace(/[^\u0021-\u00ff]/gu, (c) => pct(c));
    return { wire: { method: req.method, path: target, headers, body: bytes, chunked }, tenant, note };
  }

  return toWire;
}

/** A request as a failure message shows it: long bodies, paths and headers cut, keys shortened. */
export function describeWire(w: Wire, note: string): string {
  const body = w.body ? w.body.toString("utf8") : "";
  const shown = body.length > 600 ? `${body.slice(0, 300)}…(${w.body!.length} bytes)…${body.slice(-100)}` : body;
  const path = w.path.length > 400 ? `${w.path.slice(0, 400)}…(${w.path.length} chars)` : w.path;
  const headers = w.headers.map(
    ([k, v]) => `${k}: ${k === "authorization" ? v.slice(0, 12) + (v.length > 12 ? "…" : "") : v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v}`,
  );
  return `${w.method} ${path}\n  ${headers.join("\n  ")}\n  body (${note}): ${JSON.stringify(shown)}`;
}

/** The `n`-th spelling (test/support/spellings.ts) of `path`, built from `template`; 0 or a path of another shape: as it is. */
function spell(template: string, path: string, n: number): string {
  if (n === 0) return path;
  const literal = template
    .split("/")
    .slice(1)
    .map((s) => !s.startsWith("{"));
  if (path.split("/").length - 1 !== literal.length) return path;
  return spellingsOf(path, (i) => literal[i])[n - 1][1];
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
