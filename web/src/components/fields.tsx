import type { ReactNode } from "react";

/**
 * Labelled inputs bound to one field of a form object. Each has a visible label, an optional
 * hint and an inline error, both tied to the input with aria-describedby.
 */

type Values = object;

interface Common<F extends Values, K extends keyof F & string> {
  form: F;
  name: K;
  label: string;
  set: (name: K, value: F[K]) => void;
  errors?: Partial<Record<string, string>>;
  hint?: ReactNode;
  idPrefix?: string;
  disabled?: boolean;
}

function describe(id: string, hint: ReactNode | undefined, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": error ? true : undefined };
}

function Help({ id, hint, error }: { id: string; hint?: ReactNode; error?: string }) {
  return (
    <>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </>
  );
}

export function TextField<F extends Values, K extends keyof F & string>(
  p: Common<F, K> & {
    type?: "text" | "url" | "password" | "number";
    placeholder?: string;
    required?: boolean;
    autoComplete?: string;
    inputMode?: "numeric" | "decimal";
  },
) {
  const id = `${p.idPrefix ?? "f"}-${p.name}`;
  const error = p.errors?.[p.name];
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>
        {p.label}
        {p.required ? (
          <span className="required" aria-hidden="true">
            {" "}
            *
          </span>
        ) : null}
      </label>
      <input
        id={id}
        name={p.name}
        type={p.type === "number" ? "text" : (p.type ?? "text")}
        inputMode={p.type === "number" ? (p.inputMode ?? "numeric") : p.inputMode}
        value={String(p.form[p.name])}
        placeholder={p.placeholder}
        required={p.required}
        disabled={p.disabled}
        autoComplete={p.autoComplete ?? "off"}
        spellCheck={false}
        onChange={(e) => p.set(p.name, e.target.value as F[K])}
        {...describe(id, p.hint, error)}
      />
      <Help id={id} hint={p.hint} error={error} />
    </div>
  );
}

export function TextArea<F extends Values, K extends keyof F & string>(p: Common<F, K> & { rows?: number; placeholder?: string; mono?: boolean }) {
  const id = `${p.idPrefix ?? "f"}-${p.name}`;
  const error = p.errors?.[p.name];
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{p.label}</label>
      <textarea
        id={id}
        name={p.name}
        rows={p.rows ?? 3}
        className={p.mono ? "mono" : undefined}
        value={String(p.form[p.name])}
        placeholder={p.placeholder}
        disabled={p.disabled}
        spellCheck={false}
        onChange={(e) => p.set(p.name, e.target.value as F[K])}
        {...describe(id, p.hint, error)}
      />
      <Help id={id} hint={p.hint} error={error} />
    </div>
  );
}

export function SelectField<F extends Values, K extends keyof F & string>(p: Common<F, K> & { options: { value: string; label: string }[] }) {
  const id = `${p.idPrefix ?? "f"}-${p.name}`;
  const error = p.errors?.[p.name];
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{p.label}</label>
      <select
        id={id}
        name={p.name}
        value={String(p.form[p.name])}
        disabled={p.disabled}
        onChange={(e) => p.set(p.name, e.target.value as F[K])}
        {...describe(id, p.hint, error)}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Help id={id} hint={p.hint} error={error} />
    </div>
  );
}

export function CheckField<F extends Values, K extends keyof F & string>(p: Common<F, K>) {
  const id = `${p.idPrefix ?? "f"}-${p.name}`;
  const error = p.errors?.[p.name];
  return (
    <div className={`field check${error ? " has-error" : ""}`}>
      <input
        id={id}
        name={p.name}
        type="checkbox"
        checked={p.form[p.name] === true}
        disabled={p.disabled}
        onChange={(e) => p.set(p.name, e.target.checked as F[K])}
        {...describe(id, p.hint, error)}
      />
      <label htmlFor={id}>{p.label}</label>
      <Help id={id} hint={p.hint} error={error} />
    </div>
  );
}
