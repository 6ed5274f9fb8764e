import { useState } from "react";
import { type TestCall, type components, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import { receivesType } from "../lib/endpoint-types.ts";
import { ErrorNote, Link } from "./ui.tsx";

type EventType = components["schemas"]["EventTypeOut"];

/**
 * Operators: send an event type's example to one webhook now, as the webhook's own Test button
 * does. Only the webhooks that subscribe to the type are offered.
 */
export function EventTypeTest({ type }: { type: EventType }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)} aria-label={`Test ${type.name}`}>
        Test…
      </button>
    );
  return <TestForm type={type} onClose={() => setOpen(false)} />;
}

function TestForm({ type, onClose }: { type: EventType; onClose: () => void }) {
  const { client } = useConsole();
  const tenants = useLoad(() => unwrap(client.GET("/v1/tenants", { params: { query: { limit: 200 } } })), [client]);
  const [tenant, setTenant] = useState("");
  const endpoints = useLoad(
    () => (tenant ? unwrap(client.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query: { limit: 100 } } })) : Promise.resolve(null)),
    [client, tenant],
  );
  const [endpoint, setEndpoint] = useState("");
  const [result, setResult] = useState<TestCall | null>(null);
  const { busy, error, act } = useAction();
  const receiving = (endpoints.data?.data ?? []).filter((e) => receivesType(e.eventTypes, type.name));
  const send = () =>
    act(async () => {
      setResult(null);
      setResult(
        await unwrap(client.POST("/v1/tenants/{tenant}/endpoints/{id}/test", { params: { path: { tenant, id: endpoint } }, body: { eventType: type.name } })),
      );
    });
  const ok = result?.response && result.response.status >= 200 && result.response.status < 300;
  const id = `test-${type.name}`;
  return (
    <div className="event-type-test" role="group" aria-label={`Test ${type.name} on a webhook`}>
      <p className="muted">
        {type.example === null || type.example === undefined ? "This type has no example: the built-in sample payload is sent." : "Sends this example now."}
      </p>
      <div className="row align-end">
        <div className="field">
          <label htmlFor={`${id}-tenant`}>Tenant</label>
          <select
            id={`${id}-tenant`}
            value={tenant}
            onChange={(e) => {
              setTenant(e.target.value);
              setEndpoint("");
              setResult(null);
            }}
          >
            <option value="">Choose a tenant</option>
            {(tenants.data?.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name ? `${t.name} (${t.id})` : t.id}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-endpoint`}>Webhook</label>
          <select id={`${id}-endpoint`} value={endpoint} onChange={(e) => setEndpoint(e.target.value)} disabled={!tenant}>
            <option value="">{tenant && endpoints.data && receiving.length === 0 ? "No webhook of this tenant receives this type" : "Choose a webhook"}</option>
            {receiving.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name || e.url}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="primary" onClick={() => void send()} disabled={busy || !endpoint}>
          {busy ? "Sending…" : "Send test"}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorNote error={error ?? tenants.error ?? endpoints.error} />
      {result ? (
        <p className={`outcome ${ok ? "ok" : "bad"}`} data-testid="type-test-outcome" aria-live="polite">
          {result.response ? `HTTP ${result.response.status}` : `No response: ${result.error?.class ?? "error"}`} · {result.durationMs} ms ·{" "}
          <Link to={{ page: "endpoint", tenant, id: endpoint, tab: "test" }}>Open the webhook&apos;s Test tab</Link>
        </p>
      ) : null}
    </div>
  );
}
