import { useState } from "react";
import { type Endpoint, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { BodyView, ErrorNote } from "./ui.tsx";
import { ExampleTypeSelect } from "./ExampleTypeSelect.tsx";
import { subscribedTypes } from "../lib/endpoint-types.ts";

/** `POST …/preview`: the exact body the endpoint would receive for an event type's example; nothing is sent. */
export function PreviewPanel({ tenant, endpoint, knownTypes, note }: { tenant: string; endpoint: Endpoint; knownTypes: string[]; note?: string }) {
  const { client } = useConsole();
  const [eventType, setEventType] = useState("");
  const [result, setResult] = useState<{ contentType: string; body: string; filtered?: boolean; reason?: string | null } | null>(null);
  const { busy, error, act } = useAction();
  const run = () =>
    act(async () => {
      setResult(null);
      setResult(
        await unwrap(
          client.POST("/v1/tenants/{tenant}/endpoints/{id}/preview", {
            params: { path: { tenant, id: endpoint.id } },
            body: eventType ? { eventType } : {},
          }),
        ),
      );
    });
  return (
    <section className="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Payload preview</h2>
      {note ? <p className="muted">{note}</p> : null}
      <div className="row align-end">
        <ExampleTypeSelect
          id="preview-type"
          value={eventType}
          onChange={setEventType}
          types={subscribedTypes(endpoint.eventTypes, knownTypes)}
          subscribed={endpoint.eventTypes}
        />
        <button type="button" onClick={() => void run()} disabled={busy}>
          Preview
        </button>
      </div>
      <ErrorNote error={error} />
      {result ? (
        <>
          {result.filtered ? (
            <p className="warning" role="status">
              This event {result.reason ?? "would not be delivered: filter"}.
            </p>
          ) : null}
          <p>
            <span className="muted">Content-Type:</span> <code>{result.contentType}</code>
          </p>
          <BodyView body={result.body} label="Body as it would be sent" />
        </>
      ) : null}
    </section>
  );
}
