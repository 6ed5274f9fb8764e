// A webhook receiver that checks Tocsin's signature before trusting a request.
// Node 24, no dependencies: TOCSIN_SECRET=whsec_... PORT=8080 node receiver.ts
// Settings and schemes: docs/signing.md.
import { createHmac, timingSafeEqual } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";

const env = process.env;
const SECRET = env.TOCSIN_SECRET ?? "";
const SCHEME = env.SIGNING_SCHEME ?? "standard"; // standard | hmac-sha256
const HEADER = (env.SIGNATURE_HEADER ?? "").toLowerCase(); // hmac-sha256 only, e.g. x-hub-signature-256
const ENCODING = env.SIGNATURE_ENCODING === "base64" ? "base64" : "hex";
const PREFIX = env.SIGNATURE_PREFIX ?? ""; // e.g. sha256= or v1=
const TIMESTAMP_HEADER = (env.TIMESTAMP_HEADER ?? "").toLowerCase(); // optional
const TOLERANCE_SEC = 300;

if (!SECRET || !["standard", "hmac-sha256"].includes(SCHEME) || (SCHEME === "hmac-sha256" && !HEADER)) {
  console.error("Set TOCSIN_SECRET, SIGNING_SCHEME (standard or hmac-sha256) and, for hmac-sha256, SIGNATURE_HEADER.");
  process.exit(1);
}
// standard keys the HMAC with the bytes the whsec_ secret encodes; hmac-sha256 with the text itself.
const KEY = SCHEME === "standard" ? Buffer.from(SECRET.replace(/^whsec_/, ""), "base64") : Buffer.from(SECRET, "utf8");

/** Compares in constant time, so response timing reveals nothing about the expected signature. */
function safeEqual(received: string, expected: string): boolean {
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function timestampProblem(ts: string): string | null {
  if (!/^\d{1,12}$/.test(ts)) return "bad timestamp";
  return Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_SEC ? "timestamp outside tolerance" : null;
}

/** Why the request did not come from Tocsin, or null when it did. */
function check(headers: IncomingHttpHeaders, body: Buffer): string | null {
  const get = (name: string) => (typeof headers[name] === "string" ? headers[name] : "");
  const mac = createHmac("sha256", KEY);
  let expected: string;
  let received: string[];
  if (SCHEME === "standard") {
    const [id, ts, signatures] = [get("webhook-id"), get("webhook-timestamp"), get("webhook-signature")];
    if (!id || !ts || !signatures) return "missing webhook-id, webhook-timestamp or webhook-signature";
    const problem = timestampProblem(ts);
    if (problem) return problem;
    expected = "v1," + mac.update(`${id}.${ts}.`).update(body).digest("base64");
    received = signatures.split(" "); // one per secret while a rotation overlaps
  } else {
    const signatures = get(HEADER);
    if (!signatures) return `missing ${HEADER}`;
    if (TIMESTAMP_HEADER) {
      const ts = get(TIMESTAMP_HEADER);
      const problem = ts ? timestampProblem(ts) : `missing ${TIMESTAMP_HEADER}`;
      if (problem) return problem;
      mac.update(`${ts}:`);
    }
    expected = PREFIX + mac.update(body).digest(ENCODING);
    received = PREFIX === "v1=" ? signatures.split(",") : [signatures]; // v1= lists one per secret
  }
  return received.some((s) => safeEqual(s.trim(), expected)) ? null : "bad signature";
}

const port = Number(env.PORT ?? 8080);
const host = env.HOST ?? "127.0.0.1";
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks); // the exact bytes Tocsin signed: verify them before parsing
    const problem = check(req.headers, body);
    if (problem) {
      console.log(`rejected: ${problem}`);
      res.writeHead(401, { "content-type": "text/plain" }).end(problem);
      return;
    }
    console.log(`verified ${req.headers["webhook-id"]} (${body.length} bytes)`);
    // Handle the event here: JSON.parse(body.toString("utf8")), deduplicated on webhook-id.
    res.writeHead(204).end();
  });
}).listen(port, host, () => console.log(`listening on http://${host}:${port}`));
