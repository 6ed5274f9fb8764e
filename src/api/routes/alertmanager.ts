import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { FINGERPRINT_RULE } from "../../core/alerts.ts";
import { ApiError, invalid } from "../../core/errors.ts";
import { type AlertmanagerMessage, DEFAULT_TYPE_LABEL, LABEL_NAME, alertmanagerEvents } from "../../services/alertmanager.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { ingestEvents } from "../../services/events.ts";
import { IngestBatch, Problem } from "../schemas.ts";
import { type Api, TenantParams, errorResponses } from "./common.ts";

const Labels = Type.Record(Type.String(), Type.String(), { description: "Label name -> value; values are strings" });
const Status = Type.Enum(["firing", "resolved"]);

// Alertmanager adds fields over time (truncatedAlerts, notification_reason): unknown ones are
// accepted, and an alert's are kept in its event's payload.
const Alert = Type.Object({
  status: Status,
  labels: Labels,
  annotations: Type.Optional(Labels),
  startsAt: Type.Optional(Type.String()),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  // As for POST …/events: a dedupe key that also names the alert in GET …/alerts/{fingerprint},
  // checked by the same rule (services/alertmanager.ts).
  fingerprint: Type.String({
    description: `Alertmanager's fingerprint of the alert's labels (16 hex digits); the event's fingerprint. ${FINGERPRINT_RULE}`,
  }),
});

const Query = Type.Object(
  {
    typeLabel: Type.Optional(
      Type.String({ pattern: LABEL_NAME, maxLength: 200, default: DEFAULT_TYPE_LABEL, description: "The label whose value is each event's type" }),
    ),
  },
  { additionalProperties: false },
);

/** Replaces the path of the per-event size error, which counts events, with the alert's. */
function locateInAlerts(e: unknown): unknown {
  if (!(e instanceof ApiError) || e.status !== 413 || !e.errors) return e;
  const errors = e.errors.map((f) => ({ ...f, path: f.path.replace(/^\/(\d+)\/payload$/, "/alerts/$1") }));
  const message = e.message.replace(/^\/(\d+)\/payload:/, "/alerts/$1:");
  return new ApiError(e.status, e.code, message, errors);
}

export function registerAlertmanagerRoutes(app: Api, d: ServiceDeps): void {
  const Body = Type.Object(
    {
      version: Type.Literal("4", { description: "The webhook format version; only 4 is known" }),
      status: Status,
      alerts: Type.Array(Alert, { minItems: 1, maxItems: d.config.maxBatchEvents }),
      receiver: Type.Optional(Type.String()),
      groupLabels: Type.Optional(Labels),
      commonLabels: Type.Optional(Labels),
      commonAnnotations: Type.Optional(Labels),
      externalURL: Type.Optional(Type.String()),
      groupKey: Type.Optional(Type.String()),
      truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { description: "Alertmanager's webhook body, unchanged" },
  );
  // The body is parsed keeping number and escaped-string source text, so that payloads carry the
  // text Alertmanager sent (Go escapes &, < and > as \u0026…). Validation and the mapping read the
  // plain values; the source form is kept aside for the payloads.
  const source = new WeakMap<FastifyRequest, unknown>();

  app.post(
    "/v1/tenants/:tenant/ingest/alertmanager",
    {
      config: { rawNumbers: true, scope: "events:write" },
      schema: {
        tags: ["events"],
        summary: "Post a Prometheus Alertmanager webhook notification: one event per alert",
        description:
          "Takes Alertmanager's webhook body (version 4) as sent. Each alert becomes an event: the type is the value of the label `typeLabel` names (default `alertname`), " +
          "the fingerprint is the alert's, firing starts the alert (ongoing when it is already open) and resolved ends it, and the `severity` label sets the severity. " +
          "The payload is the alert with the group's `commonLabels` and `commonAnnotations`. Answers 202 once every event and its deliveries are committed; a bad alert refuses the whole notification.",
        params: TenantParams,
        querystring: Query,
        body: Body,
        response: { 202: IngestBatch, 413: Problem, ...errorResponses },
      },
      preValidation: async (req) => {
        if (req.body === undefined) return;
        source.set(req, req.body);
        const body = JSON.parse(JSON.stringify(req.body)) as unknown;
        // Before the schema, whose "must be equal to constant" would not say which format is read.
        const version = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { version?: unknown }).version : undefined;
        if (version !== undefined && version !== "4") {
          const got = typeof version === "string" && version.length <= 20 ? JSON.stringify(version) : `a ${Array.isArray(version) ? "array" : typeof version}`;
          throw invalid("/version", `must be "4", the Alertmanager webhook format this route reads; got ${got}`);
        }
        req.body = body as typeof req.body; // checked by the schema next
      },
    },
    async (req, reply) => {
      const { tenant } = req.params;
      const { typeLabel } = req.query;
      const message: AlertmanagerMessage = req.body;
      const inputs = alertmanagerEvents(message, typeLabel ?? DEFAULT_TYPE_LABEL, source.get(req) ?? message);
      const results = await ingestEvents(d, tenant, inputs, true).catch((e: unknown) => {
        throw locateInAlerts(e);
      });
      return reply.code(202).send({ events: results.map((r) => ({ id: r.id, deliveries: r.deliveries })) });
    },
  );
}
