import { Ajv2020 } from "ajv/dist/2020.js";
import { ApiError, coerceError, invalid, notFound } from "../core/errors.ts";
import type { EventType } from "../core/types.ts";
import type { Page, PageResult } from "../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export interface EventTypeInput {
  name: string;
  description?: string | null;
  schema?: unknown;
  example?: unknown;
}

const ajv = new Ajv2020({ strict: false, allErrors: false });

/** A schema must compile, and an example must satisfy its schema. */
function checkSchemaAndExample(schema: unknown, example: unknown): void {
  if (schema === undefined || schema === null) return;
  if (typeof schema !== "object" && typeof schema !== "boolean") throw invalid("/schema", "must be a JSON Schema (object or boolean)");
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile(schema as object);
  } catch (e) {
    throw invalid("/schema", `is not a valid JSON Schema: ${coerceError(e).message}`);
  }
  let ok: boolean;
  try {
    // Validating once also builds what compile() leaves to the first use (e.g. each pattern's RegExp).
    ok = validate(example === undefined || example === null ? null : example) as boolean;
  } catch (e) {
    throw invalid("/schema", `cannot be used: ${coerceError(e).message}`);
  }
  if (example !== undefined && example !== null && !ok) {
    const err = validate.errors?.[0];
    throw invalid(`/example${err?.instancePath ?? ""}`, `does not match the schema: ${err?.message ?? "invalid"}`);
  }
}

export async function createEventType(d: ServiceDeps, input: EventTypeInput): Promise<EventType> {
  checkSchemaAndExample(input.schema, input.example);
  const now = d.now();
  const t = await d.store.createEventType({
    name: input.name,
    description: input.description ?? null,
    schema: input.schema ?? null,
    example: input.example ?? null,
    createdAt: now,
    updatedAt: now,
  });
  if (!t) throw new ApiError(409, "conflict", `event type ${JSON.stringify(input.name)} already exists`, [{ path: "/name", message: "already exists" }]);
  return t;
}

export async function getEventType(d: ServiceDeps, name: string): Promise<EventType> {
  const t = await d.store.getEventType(name);
  if (!t) throw notFound("event type", name);
  return t;
}

export function listEventTypes(d: ServiceDeps, page: Page): Promise<PageResult<EventType>> {
  return d.store.listEventTypes(page);
}

export async function updateEventType(d: ServiceDeps, name: string, patch: Omit<Partial<EventTypeInput>, "name">): Promise<EventType> {
  const current = await getEventType(d, name);
  checkSchemaAndExample(patch.schema !== undefined ? patch.schema : current.schema, patch.example !== undefined ? patch.example : current.example);
  const t = await d.store.updateEventType(name, patch, d.now());
  if (!t) throw notFound("event type", name);
  return t;
}

export async function deleteEventType(d: ServiceDeps, name: string): Promise<void> {
  if (!(await d.store.deleteEventType(name))) throw notFound("event type", name);
}
