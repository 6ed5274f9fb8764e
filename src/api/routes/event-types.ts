import { Type } from "typebox";
import type { ServiceDeps } from "../../services/deps.ts";
import { createEventType, deleteEventType, getEventType, listEventTypes, updateEventType } from "../../services/event-types.ts";
import { presentEventType } from "../present.ts";
import { EventTypeCreate, EventTypeOut, EventTypePatch, ListQuery, Problem, EventTypeList } from "../schemas.ts";
import { type Api, errorResponses, pageOf } from "./common.ts";

const NameParams = Type.Object({ name: Type.String({ maxLength: 200 }) });

export function registerEventTypeRoutes(app: Api, d: ServiceDeps): void {
  const tags = ["event-types"];
  app.post(
    "/v1/event-types",
    {
      config: { admin: true },
      schema: { tags, summary: "Add an event type to the catalog", body: EventTypeCreate, response: { 201: EventTypeOut, 409: Problem, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(presentEventType(await createEventType(d, req.body))),
  );
  app.get(
    "/v1/event-types",
    {
      config: { scope: "read" },
      schema: { tags, summary: "List the event-type catalog", querystring: ListQuery, response: { 200: EventTypeList, ...errorResponses } },
    },
    async (req) => {
      const page = await listEventTypes(d, pageOf(req.query));
      return { data: page.data.map(presentEventType), nextCursor: page.nextCursor };
    },
  );
  app.get(
    "/v1/event-types/:name",
    { config: { scope: "read" }, schema: { tags, summary: "Get an event type", params: NameParams, response: { 200: EventTypeOut, ...errorResponses } } },
    async (req) => presentEventType(await getEventType(d, req.params.name)),
  );
  app.patch(
    "/v1/event-types/:name",
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Update an event type (JSON merge patch)",
        params: NameParams,
        body: EventTypePatch,
        response: { 200: EventTypeOut, ...errorResponses },
      },
    },
    async (req) => presentEventType(await updateEventType(d, req.params.name, req.body)),
  );
  app.delete(
    "/v1/event-types/:name",
    {
      config: { admin: true },
      schema: { tags, summary: "Remove an event type from the catalog", params: NameParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      await deleteEventType(d, req.params.name);
      return reply.code(204).send(null);
    },
  );
}
