import { formatBytes } from "../lib/deliveries.ts";
import { BodyView, HeaderTable } from "./ui.tsx";

/** A request as Tocsin sent it (a test call's, or an attempt's): its line, headers and body. */
export interface SentRequestLike {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** The whole body's size, when the body shown may be only its start. */
  bodyBytes?: number;
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

function bodyLabel(r: SentRequestLike): string {
  if (r.bodyBytes === undefined) return "Request body";
  const cut = r.body !== null && utf8Length(r.body) < r.bodyBytes;
  return cut ? `Request body (first 16 KiB of ${formatBytes(r.bodyBytes)})` : `Request body (${formatBytes(r.bodyBytes)})`;
}

export function SentRequest({ request }: { request: SentRequestLike }) {
  return (
    <>
      <p>
        <code className="break">
          {request.method} {request.url}
        </code>
      </p>
      <HeaderTable headers={request.headers} caption="Request headers (credentials redacted)" />
      <BodyView body={request.body} label={bodyLabel(request)} />
    </>
  );
}
