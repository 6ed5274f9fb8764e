// A webhook receiver that checks Tocsin's signature before trusting a request.
// Node 24, no dependencies: TOCSIN_SECRET=whsec_... PORT=8080 node receiver.ts
// ed25519: SIGNING_SCHEME=ed25519 TOCSIN_PUBLIC_KEY=whpk_... PORT=8080 node receiver.ts
// Settings and schemes: docs/signing.md.
import { createHmac, createPublicKey, timingSafeEqual, verify } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";

const env = process.env;
const SECRET = env.TOCSIN_SECRET ?? "";
const PUBLIC_KEY = env.TOCSIN_PUBLIC_KEY ?? ""; // ed25519 only: whpk_...
const SCHEME = env.SIGNING_SCHEME ?? "standard"; // standard | hmac-sha256 | ed25519
const HEADER = (env.SIGNATURE_HEADER ?? "").toLowerCase(); // hmac-sha256 only, e.g. x-hub-signature-256
const ENCODING = env.SIGNATURE_ENCODING === "base64" ? "base64" : "hex";
const PREFIX = env.SIGNATURE_PREFIX ?? ""; // e.g. sha256= or v1=
const TIMESTAMP_HEADER = (env.TIMESTAMP_HEADER ?? "").toLowerCase(); // optional
const TOLERANCE_SEC = 300;

const KEYED = SCHEME === "ed25519" ? /^whpk_[A-Za-z0-9+/]{43}=$/.test(PUBLIC_KEY) : SECRET !== "";
if (!KEYED || !["standard", "hmac-sha256", "ed25519"].includes(SCHEME) || (SCHEME === "hmac-sha256" && !HEADER)) {
  console.error("Set SIGNING_SCHEME (standard, hmac-sha256 or ed25519), TOCSIN_SECRET (TOCSIN_PUBLIC_KEY=whpk_... for ed25519) and, for hmac-sha256, SIGNATURE_HEADER.");
  process.exit(1);
}
// standard keys the HMAC with the bytes the whsec_ secret encodes; hmac-sha256 with the text itself.
const KEY = SCHEME === "standard" ? Buffer.from(SECRET.replace(/^whsec_/, ""), "base64") : Buffer.from(SECRET, "utf8");
// ed25519 verifies with the 32 raw bytes the whpk_ public key encodes: it can check, not sign.
const ED25519_KEY =
  SCHEME === "ed25519" ? createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(PUBLIC_KEY.slice(5), "base64").toString("base64url") }, format: "jwk" }) : null;

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
  if (SCHEME === "standard" || SCHEME === "ed25519") {
    const [id, ts, signatures] = [get("webhook-id"), get("webhook-timestamp"), get("webhook-signature")];
    if (!id || !ts || !signatures) return "missing webhook-id, webhook-timestamp or webhook-signature";
    const problem = timestampProblem(ts);
    if (problem) return problem;
    if (ED25519_KEY) {
      // v1a entries, one per key while a rotation overlaps; any may verify.
      const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`), body]);
      const v1a = signatures.split(" ").filter((s) => s.startsWith("v1a,"));
      return v1a.some((s) => verify(null, signed, ED25519_KEY, Buffer.from(s.slice(4), "base64"))) ? null : "bad signature";
    }
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
