import { useState } from "react";
import { type ResponseData, unwrap } from "@tocsin/client";
import { useConsole } from "../context.ts";
import { useAction } from "../hooks.ts";
import { endpointsInWords, matchersInWords, whenInWords, windowInWords } from "../lib/silence-words.ts";
import { Badge, ConfirmDialog, ErrorNote, Link, formatTime } from "./ui.tsx";

export type Silence = ResponseData<"/v1/tenants/{tenant}/silences/{id}", "get">;

/** Who made a silence: the key's name, else its kind and id. */
export function authorOf(s: Silence): string {
  const by = s.createdBy;
  const kind = by.kind === "portal" ? "portal session" : by.kind === "admin" ? "admin key" : "tenant key";
  if (!by.name) return `${kind} ${by.keyId}`;
  return by.name.toLowerCase().includes(kind) ? by.name : `${by.name} (${kind})`;
}

/**
 * Expire early: a button that asks first, then `POST …/silences/{id}/expire`. `onDone` gets the
 * expired silence.
 */
export function ExpireButton({ tenant, silence, onDone }: { tenant: string; silence: Silence; onDone(s: Silence): void }) {
  const { client } = useConsole();
  const [open, setOpen] = useState(false);
  const action = useAction();
  const expire = () =>
    action.act(async () => {
      const s = await unwrap(client.POST("/v1/tenants/{tenant}/silences/{id}/expire", { params: { path: { tenant, id: silence.id } } }));
      setOpen(false);
      onDone(s);
    });
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} disabled={action.busy}>
        Expire…
      </button>
      <ConfirmDialog
        open={open}
        title="Expire this silence now?"
        confirmLabel="Expire now"
        danger
        busy={action.busy}
        onConfirm={() => void expire()}
        onCancel={() => {
          setOpen(false);
          action.setError(null);
        }}
      >
        <p>
          Matching events are delivered again from now on{silence.schedule ? ", in its windows too" : ""}. It stays listed under expired, with what it
          suppressed.
        </p>
        <p className="muted small">
          {matchersInWords(silence.matchers)} · {silence.comment}
        </p>
        <ErrorNote error={action.error} />
      </ConfirmDialog>
    </>
  );
}

/** Silences as a table: what they match, where, when, why and by whom, how much they suppressed; Expire for writers. */
export function SilenceTable(props: {
  tenant: string;
  silences: Silence[];
  names: ReadonlyMap<string, string>;
  writable: boolean;
  onChanged(): void;
  label?: string;
}) {
  const { tenant, silences, names, writable } = props;
  const fmt = (iso: string) => formatTime(iso);
  return (
    <table className="list silences" aria-label={props.label ?? "Silences"}>
      <thead>
        <tr>
          <th scope="col">State</th>
          <th scope="col">Matches</th>
          <th scope="col">Webhooks</th>
          <th scope="col">When</th>
          <th scope="col">Comment</th>
          <th scope="col">Suppressed</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {silences.map((s) => {
          const next = windowInWords(s, fmt);
          return (
            <tr key={s.id} data-silence={s.id} data-state={s.state}>
              <td data-label="State">
                <Badge status={s.state} />
              </td>
              <td data-label="Matches" data-part="matchers">
                {matchersInWords(s.matchers)}
              </td>
              <td data-label="Webhooks" data-part="endpoints">
                {endpointsInWords(s.endpointIds, names)}
              </td>
              <td data-label="When" data-part="when">
                {whenInWords(s, fmt)}
                {next ? (
                  <div className="muted small" data-part="window">
                    {next}
                  </div>
                ) : null}
              </td>
              <td data-label="Comment">
                {s.comment}
                <div className="muted small">by {authorOf(s)}</div>
              </td>
              <td data-label="Suppressed" data-part="suppressed">
                {s.suppressed === 1 ? "1 delivery" : `${s.suppressed} deliveries`}
              </td>
              <td>
                <div className="row-actions">
                  <Link to={{ page: "silence", tenant, id: s.id }}>Details</Link>
                  {writable && s.state !== "expired" ? <ExpireButton tenant={tenant} silence={s} onDone={props.onChanged} /> : null}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
