// An endpoint's TLS settings: the CA, the client certificate and its key, and warnings about the certificate.
import { X509Certificate, type KeyObject, createPrivateKey } from "node:crypto";
import { coerceError, invalid } from "../core/errors.ts";
import type { EndpointCredentials, EndpointSettings } from "../core/types.ts";
import { obj, str } from "./endpoint-settings-fields.ts";

const MAX_PEM_BYTES = 64 * 1024;

function parsePemCerts(pem: string, path: string): [X509Certificate, ...X509Certificate[]] {
  const [first, ...rest] = (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw invalid(path, `certificate ${i + 1} does not parse: ${coerceError(e).message}`);
    }
  });
  if (first === undefined) throw invalid(path, "must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)");
  return [first, ...rest];
}

export function checkTls(v: unknown, credentials: EndpointCredentials): EndpointSettings["tls"] {
  const t = obj(v, "/tls");
  const skipVerify = t.skipVerify ?? false;
  if (typeof skipVerify !== "boolean") throw invalid("/tls/skipVerify", "must be true or false");
  let ca: string | null = null;
  if (t.ca !== undefined && t.ca !== null) {
    ca = str(t.ca, "/tls/ca", { min: 1, max: MAX_PEM_BYTES });
    parsePemCerts(ca, "/tls/ca");
  }
  let clientCert: string | null = null;
  const certGiven = t.clientCert !== undefined && t.clientCert !== null;
  const keyGiven = t.clientKey !== undefined && t.clientKey !== null;
  if (keyGiven && !certGiven) throw invalid("/tls/clientCert", "is required with tls.clientKey");
  if (certGiven) {
    clientCert = str(t.clientCert, "/tls/clientCert", { min: 1, max: MAX_PEM_BYTES });
    const [leaf] = parsePemCerts(clientCert, "/tls/clientCert");
    if (!keyGiven) throw invalid("/tls/clientKey", "is required with tls.clientCert (PEM private key)");
    const keyPem = str(t.clientKey, "/tls/clientKey", { min: 1, max: MAX_PEM_BYTES });
    let key: KeyObject;
    try {
      key = createPrivateKey(keyPem);
    } catch (e) {
      throw invalid("/tls/clientKey", `is not an unencrypted PEM private key: ${coerceError(e).message}`);
    }
    if (!leaf.checkPrivateKey(key)) throw invalid("/tls/clientKey", "does not match tls.clientCert");
    credentials.clientKey = keyPem;
  }
  return { clientCert, ca, skipVerify };
}

/** Warnings about the client certificate worth telling at save time. */
export function certificateWarnings(s: EndpointSettings, now: number): string[] {
  if (!s.tls.clientCert) return [];
  const [leaf] = parsePemCerts(s.tls.clientCert, "/tls/clientCert");
  const until = Date.parse(leaf.validTo);
  return until < now ? [`tls.clientCert expired on ${new Date(until).toISOString()}: receivers will refuse it`] : [];
}
