/**
 * The event-type form (name, description, JSON Schema, example) and its mapping to the API: the
 * JSON fields are parsed here so a typo is reported where it is, with its line and column, before
 * anything is sent. No React here, so it is unit-tested on its own.
 */
import type { components } from "@tocsin/client";

type EventType = components["schemas"]["EventTypeOut"];
type EventTypeCreate = components["schemas"]["EventTypeCreate"];
type EventTypePatch = components["schemas"]["EventTypePatch"];

export interface EventTypeForm {
  name: string;
  description: string;
  /** JSON text; blank: no schema. */
  schema: string;
  /** JSON text; blank: no example (Test then sends a built-in payload). */
  example: string;
}

export type EventTypeField = keyof EventTypeForm;
export type EventTypeErrors = Partial<Record<EventTypeField | "form", string>>;

/** Dot-separated segments of letters, digits, `_` and `-`, as the API requires. */
const NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function emptyEventTypeForm(): EventTypeForm {
  return { name: "", description: "", schema: "", example: "" };
}

const pretty = (v: unknown) => (v === null || v === undefined ? "" : JSON.stringify(v, null, 2));

export function eventTypeToForm(t: EventType): EventTypeForm {
  return { name: t.name, description: t.description ?? "", schema: pretty(t.schema), example: pretty(t.example) };
}

/** Line and column (1-based) of a character offset in `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Parses a JSON field; blank is null. On a syntax error, says where it is. */
export function parseJsonField(text: string): { value: unknown } | { error: string } {
  if (text.trim() === "") return { value: null };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message)?.[1];
    const where = at === undefined ? "" : ` at ${lineAndColumn(text, Number(at))}`;
    return { error: `is not valid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)$/, "")}` };
  }
}

type Result<T> = { body: T; errors?: undefined } | { body?: undefined; errors: EventTypeErrors };

function parse(f: EventTypeForm, creating: boolean) {
  const errors: EventTypeErrors = {};
  if (creating) {
    if (f.name.trim() === "") errors.name = "is required";
    else if (!NAME.test(f.name.trim())) errors.name = "must be dot-separated words of letters, digits, _ and - (e.g. alert.fired)";
  }
  const schema = parseJsonField(f.schema);
  const example = parseJsonField(f.example);
  if ("error" in schema) errors.schema = schema.error;
  else if (schema.value !== null && typeof schema.value !== "object" && typeof schema.value !== "boolean") errors.schema = "must be a JSON Schema: an object";
  if ("error" in example) errors.example = example.error;
  return { errors, schema: "value" in schema ? schema.value : null, example: "value" in example ? example.value : null };
}

/** The body of `POST /v1/event-types`. */
export function formToEventTypeCreate(f: EventTypeForm): Result<EventTypeCreate> {
  const p = parse(f, true);
  if (Object.keys(p.errors).length) return { errors: p.errors };
  const body: EventTypeCreate = { name: f.name.trim() };
  if (f.description.trim()) body.description = f.description.trim();
  if (p.schema !== null) body.schema = p.schema;
  if (p.example !== null) body.example = p.example;
  return { body };
}

/** The merge patch of `PATCH /v1/event-types/{name}`: what changed; a cleared field becomes null. */
export function formToEventTypePatch(t: EventType, f: EventTypeForm): Result<EventTypePatch> {
  const p = parse(f, false);
  if (Object.keys(p.errors).length) return { errors: p.errors };
  const o = eventTypeToForm(t);
  const body: EventTypePatch = {};
  if (f.description.trim() !== o.description.trim()) body.description = f.description.trim() || null;
  if (JSON.stringify(p.schema) !== JSON.stringify(t.schema ?? null)) body.schema = p.schema;
  if (JSON.stringify(p.example) !== JSON.stringify(t.example ?? null)) body.example = p.example;
  return { body };
}

/** A problem document's errors under the form's fields: `/name`, `/schema`, `/example/...` (a mismatch inside the example). */
export function eventTypeProblemErrors(problem: { detail?: string; errors?: { path: string; message: string }[] }): EventTypeErrors {
  const out: EventTypeErrors = {};
  for (const e of problem.errors ?? []) {
    const [, first = "", ...rest] = e.path.split("/");
    const field = (["name", "description", "schema", "example"] as const).find((k) => k === first);
    const key = field ?? "form";
    if (out[key]) continue;
    const inside = rest.length ? `at /${rest.join("/")}: ` : "";
    out[key] = field ? `${inside}${e.message}` : `${e.path || "body"}: ${e.message}`;
  }
  if (Object.keys(out).length === 0) out.form = problem.detail ?? "The server refused the event type.";
  return out;
}
