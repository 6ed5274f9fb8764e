// An endpoint's TLS settings: the CA, the client certificate and its key, what the certificate says, and warnings about it.
import { X509Certificate, type KeyObject, createPrivateKey } from "node:crypto";
import { ApiError, type FieldError, invalid } from "../core/errors.ts";
import type { EndpointCredentials, EndpointSettings } from "../core/types.ts";
import { obj, str } from "./endpoint-settings-fields.ts";

const MAX_PEM_BYTES = 64 * 1024;
/** A client certificate that expires within this many days is warned about (the endpoint's warnings). */
export const CERT_EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** The PEM blocks of `pem`: their label (CERTIFICATE, PRIVATE KEY, …) and body. */
function pemBlocks(pem: string): { label: string; body: string }[] {
  return [...pem.matchAll(BLOCK)].map((m) => ({ label: m[1]!, body: m[2]! }));
}

/**
 * Why a PEM block's body is not base64, or null. OpenSSL says only "bad base64 decode" or
 * "DECODER routines::unsupported"; this says which part is wrong.
 */
function base64Problem(body: string): string | null {
  if (/^\s*Proc-Type:\s*4,ENCRYPTED/m.test(body)) return "encrypted";
  const text = body.replace(/^[A-Za-z-]+:.*$/gm, "");
  if (!BASE64_BODY.test(text) || text.replace(/\s/g, "").length % 4 !== 0) return "base64";
  return null;
}

/** Parses the certificates in `pem`; the message of each problem is a sentence a person can act on. */
function parsePemCerts(pem: string): { certs: X509Certificate[]; problem: string | null } {
  const blocks = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE");
  if (blocks.length === 0) {
    if (/PRIVATE KEY-----/.test(pem))
      return { certs: [], problem: "holds a private key, not a certificate: paste the certificate (-----BEGIN CERTIFICATE-----)" };
    return { certs: [], problem: "must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)" };
  }
  const certs: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    const which = blocks.length > 1 ? `certificate ${i + 1}` : "the certificate";
    if (base64Problem(b.body)) return { certs, problem: `${which} is not valid base64 PEM: the text between its BEGIN and END lines is damaged` };
    try {
      certs.push(new X509Certificate(`-----BEGIN CERTIFICATE-----${b.body}-----END CERTIFICATE-----`));
    } catch {
      return { certs, problem: `${which} does not parse: its base64 decodes, but not to an X.509 certificate` };
    }
  }
  return { certs, problem: null };
}

/** Reads the private key in `pem`, or says in a sentence why it cannot be used. */
function readPrivateKey(pem: string): { key: KeyObject; problem?: undefined } | { key?: undefined; problem: string } {
  const blocks = pemBlocks(pem);
  const keyBlock = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (!keyBlock) {
    if (blocks.some((b) => b.label === "CERTIFICATE"))
      return { problem: "is a certificate, not a private key: paste the key that was created with the client certificate" };
    if (blocks.some((b) => b.label.endsWith("PUBLIC KEY"))) return { problem: "is a public key: the private key is needed" };
    return { problem: "is not a PEM private key: it must start with -----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY, EC PRIVATE KEY)" };
  }
  const base64 = base64Problem(keyBlock.body);
  if (keyBlock.label === "ENCRYPTED PRIVATE KEY" || base64 === "encrypted") {
    return { problem: "is encrypted with a passphrase: remove it first (openssl pkey -in key.pem -out plain-key.pem)" };
  }
  if (base64) return { problem: "is not valid base64 PEM: the text between its BEGIN and END lines is damaged" };
  try {
    return { key: createPrivateKey(`-----BEGIN ${keyBlock.label}-----${keyBlock.body}-----END ${keyBlock.label}-----`) };
  } catch {
    return { problem: `is not a private key: its base64 decodes, but not to the ${keyBlock.label.toLowerCase()} its BEGIN line names` };
  }
}

/**
 * The TLS settings, with every bad field reported at once: the problem document's `errors` holds
 * one entry for each of tls.ca, tls.clientCert and tls.clientKey that is wrong.
 */
export function checkTls(v: unknown, credentials: EndpointCredentials): EndpointSettings["tls"] {
  const t = obj(v, "/tls");
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  const skipVerify = t.skipVerify ?? false;
  if (typeof skipVerify !== "boolean") fail("/tls/skipVerify", "must be true or false");
  let ca: string | null = null;
  if (t.ca !== undefined && t.ca !== null) {
    ca = str(t.ca, "/tls/ca", { min: 1, max: MAX_PEM_BYTES });
    const { problem } = parsePemCerts(ca);
    if (problem) fail("/tls/ca", problem);
  }
  let clientCert: string | null = null;
  const certGiven = t.clientCert !== undefined && t.clientCert !== null;
  const keyGiven = t.clientKey !== undefined && t.clientKey !== null;
  let leaf: X509Certificate | undefined;
  if (keyGiven && !certGiven) fail("/tls/clientCert", "is required with tls.clientKey");
  if (certGiven) {
    clientCert = str(t.clientCert, "/tls/clientCert", { min: 1, max: MAX_PEM_BYTES });
    const { certs, problem } = parsePemCerts(clientCert);
    if (problem) fail("/tls/clientCert", problem);
    else leaf = certs[0];
    if (!keyGiven) fail("/tls/clientKey", "is required with tls.clientCert (PEM private key)");
  }
  if (keyGiven) {
    const keyPem = str(t.clientKey, "/tls/clientKey", { min: 1, max: MAX_PEM_BYTES });
    const r = readPrivateKey(keyPem);
    if (r.problem !== undefined) fail("/tls/clientKey", r.problem);
    else if (leaf && !leaf.checkPrivateKey(r.key)) fail("/tls/clientKey", "does not belong to this certificate: it is the private key of another one");
    credentials.clientKey = keyPem;
  }
  if (errors.length === 1) throw invalid(errors[0]!.path, errors[0]!.message);
  if (errors.length > 1) throw new ApiError(400, "validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), errors);
  return { clientCert, ca, skipVerify: skipVerify === true };
}

/** What a stored client certificate says: its subject's CN, its issuer's and when it expires. */
export interface ClientCertInfo {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

const commonName = (dn: string) => /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? dn.replaceAll("\n", ", ");

/** The first certificate of `pem`, summarised; null when there is none or it does not parse. */
export function clientCertInfo(pem: string | null): ClientCertInfo | null {
  if (!pem) return null;
  const leaf = parsePemCerts(pem).certs[0];
  if (!leaf) return null;
  return {
    subject: commonName(leaf.subject),
    issuer: commonName(leaf.issuer),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

/**
 * Warnings about the client certificate worth telling at save time and on every read: expired,
 * or expiring within CERT_EXPIRY_WARNING_DAYS days.
 */
export function certificateWarnings(s: EndpointSettings, now: number): string[] {
  const info = clientCertInfo(s.tls.clientCert);
  if (!info) return [];
  const until = Date.parse(info.notAfter);
  const day = info.notAfter.slice(0, 10);
  if (until < now) return [`tls.clientCert expired on ${info.notAfter}: receivers will refuse it`];
  if (until - now < CERT_EXPIRY_WARNING_DAYS * DAY_MS) {
    const days = Math.floor((until - now) / DAY_MS);
    const when = days === 0 ? "within a day" : `in ${days} day${days === 1 ? "" : "s"}`;
    return [`tls.clientCert expires on ${day} (${when}): renew it before receivers refuse it`];
  }
  return [];
}
