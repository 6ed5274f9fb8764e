import { useEffect, useState } from "react";
import { withFormLabels } from "../lib/endpoint-errors.ts";
import { forgetSaved, savedNote } from "../lib/endpoint-saved.ts";
import { tlsAdvice } from "../lib/endpoint-tls.ts";
import { subscribedTypes } from "../lib/endpoint-types.ts";
import { type Endpoint, type TestCall, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { BodyView, ErrorNote, HeaderTable, Link } from "./ui.tsx";
import { ExampleTypeSelect } from "./ExampleTypeSelect.tsx";
import { SentRequest } from "./SentRequest.tsx";

/** The Test button: one request now, through the endpoint's real settings, outside the queue. */
export function TestPanel({ tenant, endpoint, knownTypes, writable }: { tenant: string; endpoint: Endpoint; knownTypes: string[]; writable: boolean }) {
  const { client } = useConsole();
  const types = subscribedTypes(endpoint.eventTypes, knownTypes);
  // Test with the first subscribed type's example unless another is chosen.
  // (The catalog may arrive after the panel: until a choice is made, the default follows it.)
  const [choice, setEventType] = useState<string | null>(null);
  const eventType = choice ?? types[0] ?? "";
  // Just added on the form: confirm it, with the save's warnings (some are checked only when saving).
  const [saved] = useState(() => savedNote(endpoint.id));
  useEffect(() => forgetSaved(endpoint.id), [endpoint.id]);
  const [result, setResult] = useState<TestCall | null>(null);
  const { busy, error, act } = useAction();
  const send = () =>
    act(async () => {
      setResult(null);
      setResult(
        await unwrap(
          client.POST("/v1/tenants/{tenant}/endpoints/{id}/test", {
            params: { path: { tenant, id: endpoint.id } },
            body: eventType ? { eventType } : {},
          }),
        ),
      );
    });

  const ok = result?.response && result.response.status >= 200 && result.response.status < 300;
  return (
    <section className="card" aria-labelledby="test-title">
      {saved ? (
        <div role="status" id="saved-note">
          <p className="notice">✓ Webhook added. Send a test to check the receiver gets it.</p>
          {saved.warnings.map((w) => (
            <p key={w} className="warning">
              ⚠ Warning: {withFormLabels(w)}
            </p>
          ))}
        </div>
      ) : null}
      <h2 id="test-title">Send a test webhook</h2>
      <p className="muted">
        Sends one request now with the webhook's method, headers, auth, TLS and signature. It works while the webhook is disabled too, and it is not recorded as
        a delivery.
      </p>
      <div className="row align-end">
        <ExampleTypeSelect id="test-type" value={eventType} onChange={setEventType} types={types} subscribed={endpoint.eventTypes} />
        <button type="button" className="primary" onClick={() => void send()} disabled={busy || !writable}>
          {busy ? "Sending…" : "Send test"}
        </button>
      </div>
      {!writable ? <p className="muted">Your key cannot send test calls (it needs endpoints:write).</p> : null}
      <ErrorNote error={error} />
      {result ? (
        <div className="test-result" aria-live="polite">
          <p className={`outcome ${ok ? "ok" : "bad"}`} data-testid="test-outcome">
            {result.response ? `HTTP ${result.response.status}` : `No response: ${result.error?.class ?? "error"}`}
            {result.error && result.response ? ` (${result.error.class})` : null} · {result.durationMs} ms
          </p>
          {result.error ? <p className="muted">{result.error.message}</p> : null}
          {result.error?.class === "tls" ? <TlsHint tenant={tenant} endpoint={endpoint} message={result.error.message} /> : null}
          <div className="split">
            <section aria-labelledby="test-req">
              <h3 id="test-req">Request</h3>
              <SentRequest request={result.request} />
            </section>
            <section aria-labelledby="test-res">
              <h3 id="test-res">Response</h3>
              {result.response ? (
                <>
                  <p>
                    Status <strong>{result.response.status}</strong>
                  </p>
                  <HeaderTable headers={result.response.headers} caption="Response headers" />
                  <BodyView body={result.response.body} label="Response body (first 16 KiB)" />
                </>
              ) : (
                <p className="muted">No response arrived.</p>
              )}
            </section>
          </div>
        </div>
      ) : null}
    </section>
  );
}

/** A TLS failure in words, and the setting that fixes it (Extra CA certificates for an unknown or private CA). */
function TlsHint({ tenant, endpoint, message }: { tenant: string; endpoint: Endpoint; message: string }) {
  const advice = tlsAdvice(message);
  if (!advice) return null;
  return (
    <div className="warning" role="note" data-testid="tls-advice">
      <p>{advice.sentence}</p>
      {advice.action ? (
        <p>
          {advice.action} <Link to={{ page: "endpoint-edit", tenant, id: endpoint.id }}>Edit the settings</Link>
        </p>
      ) : null}
    </div>
  );
}
