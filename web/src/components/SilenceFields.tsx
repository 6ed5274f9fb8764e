import type { ReactNode } from "react";
import { DAYS, type Day } from "../lib/silence-words.ts";
import { SEVERITIES, type SilenceErrors, type SilenceField, type SilenceForm } from "../lib/silence-form.ts";
import { FILTER_PLACEHOLDER, FilterSyntax } from "./FilterField.tsx";
import { TextArea, TextField } from "./fields.tsx";

interface Props {
  form: SilenceForm;
  set: <K extends SilenceField>(name: K, value: SilenceForm[K]) => void;
  errors: SilenceErrors;
  endpoints: { id: string; name: string }[];
}

const ID = "sil";
const DAY_LABELS: Record<Day, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

function zones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

/** A field's error line, tied to its input or group by id. */
function FieldError({ name, errors }: { name: SilenceField; errors: SilenceErrors }) {
  const e = errors[name];
  return e ? (
    <p className="field-error" id={`${ID}-${name}-error`}>
      {e}
    </p>
  ) : null;
}

const invalid = (name: SilenceField, errors: SilenceErrors) =>
  errors[name] ? { "aria-invalid": true as const, "aria-describedby": `${ID}-${name}-error` } : {};

/** A group of checkboxes for a list field (severities, days, webhooks). */
function Checks<K extends "severities" | "days" | "endpointIds">(p: {
  name: K;
  legend: string;
  options: { value: string; label: ReactNode }[];
  form: SilenceForm;
  set: Props["set"];
  errors: SilenceErrors;
  hint?: ReactNode;
}) {
  const chosen = p.form[p.name] as string[];
  const toggle = (v: string, on: boolean) => p.set(p.name, (on ? [...chosen, v] : chosen.filter((x) => x !== v)) as SilenceForm[K]);
  return (
    <fieldset className={`checks${p.errors[p.name] ? " has-error" : ""}`} id={`${ID}-${p.name}`} {...invalid(p.name, p.errors)}>
      <legend>{p.legend}</legend>
      {p.hint ? <p className="hint">{p.hint}</p> : null}
      <div className="check-row">
        {p.options.map((o) => (
          <label key={o.value} className="check-option">
            <input type="checkbox" checked={chosen.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} /> {o.label}
          </label>
        ))}
      </div>
      <FieldError name={p.name} errors={p.errors} />
    </fieldset>
  );
}

/** Radio buttons for a choice field. */
function Choice<K extends "scope" | "kind" | "startMode" | "endMode">(p: {
  name: K;
  legend: string;
  options: { value: SilenceForm[K]; label: string }[];
  form: SilenceForm;
  set: Props["set"];
}) {
  return (
    <div className="choice" role="radiogroup" aria-label={p.legend}>
      <span className="choice-label">{p.legend}</span>
      {p.options.map((o) => (
        <label key={String(o.value)} className="check-option">
          <input type="radio" name={`${ID}-${p.name}`} checked={p.form[p.name] === o.value} onChange={() => p.set(p.name, o.value)} /> {o.label}
        </label>
      ))}
    </div>
  );
}

/** A datetime-local or time input with its label and error. */
function TimeInput(p: {
  name: "startsAt" | "endsAt" | "windowStart" | "windowEnd";
  label: string;
  type: "datetime-local" | "time";
  form: SilenceForm;
  set: Props["set"];
  errors: SilenceErrors;
}) {
  const id = `${ID}-${p.name}`;
  return (
    <div className={`field narrow${p.errors[p.name] ? " has-error" : ""}`}>
      <label htmlFor={id}>{p.label}</label>
      <input id={id} name={p.name} type={p.type} value={p.form[p.name]} onChange={(e) => p.set(p.name, e.target.value)} {...invalid(p.name, p.errors)} />
      <FieldError name={p.name} errors={p.errors} />
    </div>
  );
}

/** The silence form's fields: what it matches, which webhooks, when (once or weekly), and why. */
export function SilenceFields({ form, set, errors, endpoints }: Props) {
  const b = { form, set, errors, idPrefix: ID } as const;
  const t = { form, set, errors } as const;
  const once = form.kind === "once";
  return (
    <>
      <fieldset id="matchers">
        <legend>What it silences</legend>
        <p className="hint">An event is silenced when it matches every field filled in here; leave them all blank to silence every event.</p>
        <TextField
          {...b}
          name="type"
          label="Event type"
          placeholder="e.g. alert.fired or alert.*"
          hint="An event type, or a family such as alert.*; blank: any type."
        />
        <Checks {...t} name="severities" legend="Severity" hint="None ticked: any severity." options={SEVERITIES.map((s) => ({ value: s, label: s }))} />
        <TextField {...b} name="fingerprint" label="Fingerprint" placeholder="e.g. db-1/disk" hint="One alert's fingerprint; blank: any alert or event." />
        <TextArea
          {...b}
          name="conditions"
          label="Payload conditions"
          rows={3}
          mono
          placeholder={FILTER_PLACEHOLDER}
          hint={
            <>
              Optional JSON in the webhook filter language, e.g. <code>{'{"payload.env": "staging"}'}</code>. <FilterSyntax />
            </>
          }
        />
      </fieldset>

      <fieldset id="where">
        <legend>Webhooks</legend>
        <Choice
          {...t}
          name="scope"
          legend="Applies to"
          options={[
            { value: "tenant", label: "All webhooks" },
            { value: "endpoints", label: "Chosen webhooks" },
          ]}
        />
        {form.scope === "endpoints" ? (
          <Checks {...t} name="endpointIds" legend="Chosen webhooks" options={endpoints.map((e) => ({ value: e.id, label: e.name }))} />
        ) : null}
      </fieldset>

      <fieldset id="when">
        <legend>When</legend>
        <Choice
          {...t}
          name="kind"
          legend="Repeats"
          options={[
            { value: "once", label: "Once" },
            { value: "recurring", label: "Every week (maintenance window)" },
          ]}
        />
        {once ? null : (
          <>
            <Checks {...t} name="days" legend="Days" options={DAYS.map((d) => ({ value: d, label: DAY_LABELS[d] }))} />
            <div className="row">
              <TimeInput {...t} name="windowStart" label="From" type="time" />
              <TimeInput {...t} name="windowEnd" label="To" type="time" />
              <div className={`field narrow${errors.timeZone ? " has-error" : ""}`}>
                <label htmlFor={`${ID}-timeZone`}>Time zone</label>
                <input
                  id={`${ID}-timeZone`}
                  name="timeZone"
                  list={`${ID}-zones`}
                  value={form.timeZone}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(e) => set("timeZone", e.target.value)}
                  {...invalid("timeZone", errors)}
                />
                <datalist id={`${ID}-zones`}>
                  {zones().map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
                <FieldError name="timeZone" errors={errors} />
              </div>
            </div>
            <p className="hint">
              A window ending at or before its start runs into the next day (22:00–02:00). Daylight saving time follows the zone: see the docs on maintenance
              windows.
            </p>
          </>
        )}
        <Choice
          {...t}
          name="startMode"
          legend={once ? "Starts" : "First window from"}
          options={[
            { value: "now", label: "Now" },
            { value: "at", label: "At a time" },
          ]}
        />
        {form.startMode === "at" ? <TimeInput {...t} name="startsAt" label="Starts at" type="datetime-local" /> : null}
        <Choice
          {...t}
          name="endMode"
          legend="Ends"
          options={
            once
              ? [
                  { value: "duration", label: "After a duration" },
                  { value: "at", label: "At a time" },
                ]
              : [
                  { value: "never", label: "Never (until expired)" },
                  { value: "at", label: "At a time" },
                ]
          }
        />
        {once && form.endMode !== "at" ? (
          <TextField {...b} name="duration" label="Duration" placeholder="e.g. 30m, 2h, 3d" hint="Minutes, hours or days." />
        ) : null}
        {form.endMode === "at" ? <TimeInput {...t} name="endsAt" label="Ends at" type="datetime-local" /> : null}
      </fieldset>

      <fieldset id="why">
        <legend>Why</legend>
        <TextArea
          {...b}
          name="comment"
          label="Comment"
          rows={2}
          placeholder="e.g. Database migration, ticket OPS-123"
          hint="Required. Shown with the silence and in the reason of every delivery it suppresses."
        />
      </fieldset>
    </>
  );
}
