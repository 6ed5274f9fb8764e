import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import { endAttemptSpan, propagationHeaders, startAttemptSpan, tracingOn } from "../observability/tracing.ts";
import { type RetryPolicy, classifyResponse, decide } from "../core/retry-policy.ts";
import type { Attempt, AttemptRequest, ClaimedDelivery, DeliveryOutcome, DigestInfo, SendResult } from "../core/types.ts";
import type { EndpointCache } from "./endpoint-cache.ts";
import { type EventForShaping, attemptRequestOf, buildRequest, contentTypeOf, shapeBatch, shapeBody, shapeDigest } from "./request.ts";
import type { Sender } from "./sender.ts";
import { TransformError } from "./transform.ts";

export interface AttemptOptions {
  endpoints: EndpointCache;
  sender: Sender;
  policy: RetryPolicy;
  logger: Logger;
  now: () => number;
  random?: () => number;
  /** Largest body a transform may produce; default 1 MiB. */
  maxBodyBytes?: number;
  /** Request body bytes kept in the attempt's record; default 16 KiB. */
  maxLoggedBodyBytes?: number;
  /** A digest's window and count, for its body (store getDigest); absent: digests go as plain batches. */
  digestOf?: (id: string) => Promise<DigestInfo | null>;
}

const forShaping = (c: ClaimedDelivery): EventForShaping => ({
  id: c.eventId,
  tenantId: c.tenantId,
  type: c.eventType,
  severity: c.eventSeverity,
  createdAt: c.eventCreatedAt,
  fingerprint: c.fingerprint,
  state: c.state,
  startedAt: c.startedAt,
  updateCount: c.updateCount,
  payload: c.payload,
});

/**
 * One attempt of one delivery, or of one batch (its members in membership order, sent as one
 * request): shape the body, sign it afresh, send it, decide what follows (retry, give up, disable
 * on 410), and build the attempt's record. Returns the outcome to record; null when the endpoint
 * was deleted meanwhile (its deliveries were cancelled, and recording would change nothing).
 * Throws only on a bug or an undecryptable secret: the lease's expiry then brings the delivery back.
 */
export async function attemptDelivery(members: readonly ClaimedDelivery[], o: AttemptOptions): Promise<DeliveryOutcome | null> {
  const c = members[0];
  if (c === undefined) throw new Error("attemptDelivery: no deliveries to attempt");
  const batchId = c.batchId;
  const attemptNo = Math.max(...members.map((m) => m.attempts)) + 1;
  const own = await o.endpoints.profileFor(c);
  if (!own) return null;
  // Sent to the fallback (the endpoint fails; store/claim.ts decides): that endpoint's current
  // settings build, shape and sign the request. Deleted meanwhile: the lease's expiry brings the
  // delivery back, and the next claim finds no fallback any more.
  const sendTo = c.sendTo ?? null;
  const profile = sendTo === null ? own : await o.endpoints.profileFor({ endpointId: sendTo.endpointId, endpointVersion: sendTo.version });
  if (!profile) return null;
  const nowMs = o.now();
  let result: SendResult;
  let sent: AttemptRequest | null = null;
  // Null with tracing off (one check, nothing allocated): then nothing below touches tracing.
  const span = !tracingOn()
    ? null
    : startAttemptSpan({
        tenantId: c.tenantId,
        endpointId: c.endpointId,
        deliveryId: batchId ?? c.id,
        eventId: c.eventId,
        batchId,
        traceContexts: batchId === null ? [c.traceContext] : members.map((m) => m.traceContext),
        attemptNo,
        method: profile.method,
        url: profile.url,
      });
  try {
    const shaping = sendTo === null ? await o.endpoints.shapingFor(profile, c) : profile.shaping;
    const max = o.maxBodyBytes ?? 1024 * 1024;
    const digest = batchId?.startsWith("dig_") && o.digestOf ? await o.digestOf(batchId) : null;
    const body =
      batchId === null
        ? await shapeBody(shaping, forShaping(c), max)
        : digest
          ? await shapeDigest(shaping, batchId, digest, members.map(forShaping), max)
          : await shapeBatch(shaping, members.map(forShaping), max);
    const message = {
      id: batchId ?? c.eventId,
      timestampSec: Math.floor(nowMs / 1000),
      body,
      ...(shaping !== profile.shaping ? { contentType: contentTypeOf(shaping.envelope) } : {}),
    };
    const req = buildRequest(profile, message, nowMs);
    if (sendTo !== null) req.headers["webhook-fallback-for"] = c.endpointId;
    if (span !== null && profile.propagateTrace) propagationHeaders(span, req.headers);
    result = await o.sender.send(req);
    // Recorded once sent: an OAuth2 bearer token is in the headers only then (and redacted); a
    // token request that failed sent nothing to the receiver.
    if (result.errorClass !== "oauth2" || req.headers.authorization !== undefined) sent = attemptRequestOf(req, o.maxLoggedBodyBytes ?? 16 * 1024);
  } catch (e) {
    if (!(e instanceof TransformError)) {
      span?.end();
      throw e;
    }
    // The endpoint's transform failed for this event: a failed attempt like any other, nothing sent.
    result = {
      startedAt: nowMs,
      durationMs: Math.round(o.now() - nowMs),
      statusCode: null,
      headers: null,
      body: null,
      errorClass: "transform",
      errorMessage: e.message,
    };
  }
  const now = o.now();
  // The delivery keeps its own endpoint's retry schedule wherever its attempts go.
  const decision = decide(classifyResponse(result, now), attemptNo, o.endpoints.retryPolicyFor(own, o.policy), now, o.random, c.eventCreatedAt);
  const attempt: Attempt = {
    id: newId("att"),
    // A batch's attempt is recorded once, under the batch.
    deliveryId: batchId ?? c.id,
    batchId,
    tenantId: c.tenantId,
    endpointId: c.endpointId,
    sentToEndpointId: sendTo?.endpointId ?? null,
    eventId: c.eventId,
    attemptNo,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    statusCode: result.statusCode,
    errorClass: result.errorClass,
    errorMessage: result.errorMessage,
    request: sent,
    responseHeaders: result.headers,
    responseBody: result.body,
    willRetry: decision.willRetry,
    nextAttemptAt: decision.nextAttemptAt,
  };
  if (span !== null) endAttemptSpan(span, result.statusCode, result.errorClass, decision.status);
  const what = batchId === null ? { delivery: c.id } : { batch: batchId, size: members.length };
  const where = { event: c.eventId, endpoint: c.endpointId, tenant: c.tenantId, attempt: attemptNo, ...(sendTo ? { fallback: sendTo.endpointId } : {}) };
  if (decision.status === "failed") {
    o.logger.warn(
      { ...what, ...where, error: result.errorMessage },
      decision.disableEndpoint ? "endpoint answered 410 Gone: delivery failed and endpoint disabled" : "delivery failed: retry schedule exhausted",
    );
  } else if (decision.status === "pending") {
    o.logger.debug({ ...what, ...where, status: result.statusCode, error: result.errorMessage }, "attempt failed, will retry");
  } else {
    o.logger.trace({ ...what, ...where, status: result.statusCode, ms: result.durationMs }, "delivered");
  }
  return {
    deliveryId: c.id,
    ...(batchId !== null ? { memberIds: members.map((m) => m.id) } : {}),
    endpointId: c.endpointId,
    ...(sendTo !== null ? { sentToEndpointId: sendTo.endpointId } : {}),
    attempt,
    status: decision.status,
    nextAttemptAt: decision.nextAttemptAt,
    disableEndpoint: decision.disableEndpoint,
  };
}
