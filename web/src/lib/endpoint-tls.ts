/**
 * TLS in words for the console: how soon a stored client certificate expires, and what a test
 * call's TLS error means and which field fixes it. No React here, so it is unit-tested on its own.
 */

/** A client certificate is warned about this many days before it expires (as the API's warnings do). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface CertExpiry {
  state: "expired" | "soon" | "valid";
  /** Whole days left (0 on its last day); negative once expired. */
  days: number;
  /** The expiry date, YYYY-MM-DD (UTC). */
  date: string;
}

export function certExpiry(notAfter: string, now: number): CertExpiry {
  const until = Date.parse(notAfter);
  const days = Math.floor((until - now) / DAY_MS);
  const state = until <= now ? "expired" : until - now < EXPIRY_WARNING_DAYS * DAY_MS ? "soon" : "valid";
  return { state, days, date: new Date(until).toISOString().slice(0, 10) };
}

/** One sentence about the expiry, for the form and the settings summary. */
export function expirySentence(e: CertExpiry): string {
  if (e.state === "expired") return `Expired on ${e.date}: receivers will refuse it. Paste a renewed certificate and its key.`;
  if (e.state === "soon")
    return `Expires on ${e.date} (${e.days === 0 ? "within a day" : `in ${e.days} day${e.days === 1 ? "" : "s"}`}): renew it before receivers refuse it.`;
  return `Valid until ${e.date}.`;
}

export interface TlsAdvice {
  /** What happened, in a sentence. */
  sentence: string;
  /** The form field that fixes it, by its label. */
  field: "Extra CA certificates" | "Client certificate" | null;
  /** What to do in that field. */
  action: string | null;
}

const CA_ACTION = "Paste the CA certificate that signed the receiver's certificate (PEM) into Extra CA certificates, in the TLS section of the settings.";

/**
 * The advice for a test call's or attempt's TLS error message (`CODE: text`, as the sender writes
 * it); null when it is not a TLS error this knows.
 */
export function tlsAdvice(message: string): TlsAdvice | null {
  const code = /^([A-Z0-9_]+):/.exec(message)?.[1] ?? "";
  const has = (...words: string[]) => words.some((w) => code === w || message.includes(w));
  if (has("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain")) {
    return {
      sentence: "The receiver's certificate chain ends in a CA that Tocsin does not trust (a private CA).",
      field: "Extra CA certificates",
      action: CA_ACTION,
    };
  }
  if (has("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")) {
    return {
      sentence: "The receiver's certificate is self-signed.",
      field: "Extra CA certificates",
      action: "Paste the receiver's own certificate (PEM) into Extra CA certificates, in the TLS section of the settings, to trust exactly that certificate.",
    };
  }
  if (has("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT", "unable to get local issuer certificate")) {
    return { sentence: "The CA that signed the receiver's certificate is unknown to Tocsin.", field: "Extra CA certificates", action: CA_ACTION };
  }
  if (has("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate")) {
    return {
      sentence: "The receiver sent its certificate without the chain that leads to a trusted CA.",
      field: "Extra CA certificates",
      action: `Ask for the receiver to send its full chain, or: ${CA_ACTION}`,
    };
  }
  if (has("CERT_HAS_EXPIRED", "certificate has expired"))
    return { sentence: "The receiver's certificate has expired: its owner must renew it.", field: null, action: null };
  if (has("ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH")) {
    return { sentence: "The receiver's certificate is not issued for this host name: check the URL.", field: null, action: null };
  }
  if (/certificate required|handshake failure|ALERT_CERTIFICATE_REQUIRED/i.test(message)) {
    return {
      sentence: "The receiver asks for a client certificate and did not accept the one sent (or none was sent).",
      field: "Client certificate",
      action: "Set the client certificate and its key the receiver's owner gave you, in the TLS section of the settings.",
    };
  }
  if (/unknown ca|ALERT_UNKNOWN_CA/i.test(message)) {
    return {
      sentence: "The receiver does not trust the CA of the client certificate that was sent.",
      field: "Client certificate",
      action: "Ask the receiver's owner which CA they trust, and set a client certificate signed by it.",
    };
  }
  return null;
}
