// Saving the endpoint form to another origin (the credentials it must ask for again), and the headers' merge patch.
import type { Endpoint } from "@tocsin/client";
import type { EndpointForm } from "./endpoint-form-state.ts";
import { tryParseHeaderList } from "./headers.ts";

/** The origin (scheme, host and port) of a URL as the server compares them, or null if it does not parse. */
export function originOf(url: string): string | null {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return null;
  }
}

/**
 * What saving the form does to credentials when the new URL is on another origin than `ep`'s: the
 * server does not send stored credentials there, so the form asks for them again.
 */
export interface OriginMove {
  from: string;
  to: string;
  /** The stored password or token that must be typed again (or auth set to None); null when nothing is missing. */
  authAgain: "password" | "token" | "client secret" | null;
  /** The stored client certificate needs its key typed again (or the certificate cleared). */
  clientKeyAgain: boolean;
  /** Stored headers exist and their text is unedited, so `keepHeaders` decides whether they stay. */
  headersAsk: boolean;
  /** Names of the stored headers the save removes. */
  headersCleared: string[];
}

/** The origin move the form would save, or null when the URL stays on its origin (or is not valid yet). */
export function originMove(ep: Endpoint, f: EndpointForm): OriginMove | null {
  const from = originOf(ep.url);
  const to = originOf(f.url);
  if (from === null || to === null || from === to) return null;
  let authAgain: OriginMove["authAgain"] = null;
  if (ep.auth.type !== "none" && f.authType === "basic" && f.password === "") authAgain = "password";
  if (ep.auth.type !== "none" && f.authType === "bearer" && f.token.trim() === "") authAgain = "token";
  if (ep.auth.type !== "none" && f.authType === "oauth2" && f.oauthClientSecret === "") authAgain = "client secret";
  const clientKeyAgain = ep.tls.clientKeySet && f.clientCert.trim() !== "" && f.clientKey.trim() === "";
  // Edited headers are sent as entered (a merge onto the stored ones), which keeps them as the text shows.
  const parsed = tryParseHeaderList(f.headers);
  const edited = !("headers" in parsed) || headersPatch(ep.headers, parsed.headers) !== null;
  const headersAsk = Object.keys(ep.headers).length > 0 && !edited;
  return { from, to, authAgain, clientKeyAgain, headersAsk, headersCleared: headersAsk && !f.keepHeaders ? Object.keys(ep.headers) : [] };
}

/**
 * The merge patch turning `before` into `after`, or null when they are the same. Names compare
 * case-insensitively, as the server does: `x-team` replaces `X-Team`, so the old spelling is not
 * also removed (that would name one header twice).
 */
export function headersPatch(before: Record<string, string>, after: Record<string, string>): Record<string, string | null> | null {
  const patch: Record<string, string | null> = {};
  const afterLower = new Map(Object.keys(after).map((k) => [k.toLowerCase(), k]));
  for (const [name, value] of Object.entries(after)) {
    const old = Object.keys(before).find((k) => k.toLowerCase() === name.toLowerCase());
    if (old !== name || before[old] !== value) patch[name] = value;
  }
  for (const name of Object.keys(before)) if (!afterLower.has(name.toLowerCase())) patch[name] = null;
  return Object.keys(patch).length > 0 ? patch : null;
}
