import { Fragment, type MouseEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { useConsole } from "../context.ts";
import { type Route, pathOf } from "../lib/routes.ts";
import { breakPoints } from "../lib/text.ts";

/** An ordinary link that navigates without reloading (modifier clicks still open a new tab). */
export function Link(props: { to: Route | string; children: ReactNode; className?: string; "aria-current"?: "page" }) {
  const { navigate } = useConsole();
  const href = typeof props.to === "string" ? props.to : pathOf(props.to);
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} className={props.className} aria-current={props["aria-current"]}>
      {props.children}
    </a>
  );
}

export function ErrorNote({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {error}
    </p>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="muted" role="status">
      {what}…
    </p>
  );
}

const STATUS_TONE: Record<string, string> = {
  active: "ok",
  succeeded: "ok",
  passed: "ok",
  completed: "ok",
  disabled: "off",
  cancelled: "off",
  pending: "wait",
  delivering: "wait",
  running: "wait",
  pending_validation: "wait",
  degraded: "warn",
  failing: "bad",
  failed: "bad",
  validation_failed: "bad",
  // Nothing was sent on purpose (a silence, a digest, flap damping): neither a failure nor a wait.
  suppressed: "quiet",
  expired: "off",
  open: "warn",
  resolved: "ok",
};

export function Badge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge badge-${STATUS_TONE[status] ?? "off"}`}>{label ?? status.replaceAll("_", " ")}</span>;
}

/** A URL or id that wraps only at its separators (see lib/text.ts), never mid-word. */
export function Breakable({ text }: { text: string }) {
  return (
    <>
      {breakPoints(text).map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}

export function PageHeader(props: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle ? <p className="muted subtitle">{props.subtitle}</p> : null}
      </div>
      {props.actions ? <div className="actions">{props.actions}</div> : null}
    </div>
  );
}

/**
 * A modal confirmation (the browser's `<dialog>`: focus moves into it, Escape cancels). It shows
 * while `open`; the caller closes it from `onConfirm` / `onCancel`.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onCancel={props.onCancel}>
      <h2 id={titleId}>{props.title}</h2>
      <div className="dialog-body">{props.children}</div>
      <div className="dialog-actions">
        <button type="button" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={props.danger ? "danger" : "primary"} onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** Headers as a two-column table (names as sent). */
export function HeaderTable({ headers, caption }: { headers: Record<string, string> | null | undefined; caption: string }) {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return <p className="muted">{caption}: none</p>;
  return (
    <table className="kv">
      <caption>{caption}</caption>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>
              <code>{v}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A body exactly as sent or received; JSON can be shown indented on request. */
export function BodyView({ body, label }: { body: string | null | undefined; label: string }) {
  const [pretty, setPretty] = useState(false);
  if (body === null || body === undefined || body === "") return <p className="muted">{label}: empty</p>;
  let formatted: string | null = null;
  try {
    formatted = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // not JSON: only the exact text
  }
  return (
    <figure className="body-view">
      <figcaption>
        {label}
        {formatted !== null && formatted !== body ? (
          <button type="button" className="link-button" onClick={() => setPretty((p) => !p)} aria-pressed={pretty}>
            {pretty ? "exact bytes" : "indent JSON"}
          </button>
        ) : null}
      </figcaption>
      <pre tabIndex={0}>{pretty && formatted !== null ? formatted : body}</pre>
    </figure>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  return `${Math.round(rate * 1000) / 10}%`;
}

/** Copies `text` to the clipboard and says so; where the Clipboard API is refused, through a selected hidden textarea. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      setState(ok ? "copied" : "failed");
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span className="muted small" role="status">
        {state === "copied" ? " Copied." : state === "failed" ? " Could not copy: select the text and copy it by hand." : ""}
      </span>
    </>
  );
}
