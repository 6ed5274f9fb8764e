import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { verifyWebhook } from "../../../packages/verify/src/index.ts";
import { createDestinationPolicy } from "../../../src/core/addresses.ts";
import { newId } from "../../../src/core/ids.ts";
import { DEFAULT_SCHEDULE_MS } from "../../../src/core/retry-policy.ts";
import { createSecretBox } from "../../../src/core/secret-box.ts";
import type { ClaimedDelivery } from "../../../src/core/types.ts";
import { type AttemptOptions, attemptDelivery } from "../../../src/delivery/attempt.ts";
import { createEndpointCache } from "../../../src/delivery/endpoint-cache.ts";
import { createSender } from "../../../src/delivery/sender.ts";
import { generateSecret } from "../../../src/signing/standard.ts";
import { createSqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../../src/store/store.ts";
import { type Receiver, startReceiver } from "../../support/receiver.ts";
import { tempDir } from "../../support/server.ts";

// One attempt, without the delivery loop: a real SQLite store holds the endpoint (its secret
// encrypted), a real sender posts to a real receiver on loopback, and the outcome is checked as
// the worker would record it.

const T0 = Date.now();

describe("attemptDelivery against a real receiver", () => {
  let dir: string;
  let store: Store;
  let rx: Receiver;
  const secret = generateSecret();
  const secretBox = createSecretBox(Buffer.alloc(32, 7));
  const sender = createSender({ policy: createDestinationPolicy(true), connectionsPerEndpoint: 2, maxResponseBytes: 1024, now: Date.now });
  const replies = new Map<string, number>([
    ["/ok", 200],
    ["/fail", 500],
    ["/gone", 410],
  ]);

  before(async () => {
    dir = tempDir("tocsin-attempt-");
    store = await createSqliteStore({ path: join(dir, "tocsin.db"), synchronous: "NORMAL" });
    rx = await startReceiver((r) => ({ status: replies.get(r.path) ?? 404 }));
    await store.createTenant({ id: "acme", name: null, metadata: {}, createdAt: T0, updatedAt: T0 });
  });
  after(async () => {
    await sender.close();
    await rx.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (): AttemptOptions => ({
    endpoints: createEndpointCache({ store, secretBox, userAgent: "tocsin-test" }),
    sender,
    policy: { scheduleMs: DEFAULT_SCHEDULE_MS, jitter: 0, retryAfterMinMs: 0, retryAfterMaxMs: 3_600_000 },
    logger: pino({ level: "silent" }),
    now: Date.now,
  });

  /** A new endpoint at `path` with one event claimed for it. */
  async function claimedFor(path: string): Promise<ClaimedDelivery> {
    const ep = await store.createEndpoint(
      {
        id: newId("ep"),
        tenantId: "acme",
        url: `${rx.url}${path}`,
        name: null,
        description: null,
        eventTypes: ["*"],
        enabled: true,
        secretEnc: secretBox.encrypt(secret),
      },
      T0,
    );
    await store.ingest("acme", [{ id: newId("evt"), type: "scan.finding", payload: '{"host":"10.0.0.1","n":1.50}', idempotencyKey: null }], T0, 1000);
    const claimed = await store.claimDue({ limit: 10, leaseMs: 60_000, owner: "w", now: Date.now(), endpointConcurrency: 4 });
    const c = claimed.find((d) => d.endpointId === ep.id);
    assert.ok(c, "the event's delivery to the new endpoint is claimed");
    return c;
  }

  it("sends the signed event and records a success", async () => {
    const c = await claimedFor("/ok");
    const outcome = await attemptDelivery([c], options());
    assert.ok(outcome);
    assert.equal(outcome.status, "succeeded");
    assert.equal(outcome.attempt.statusCode, 200);
    assert.equal(outcome.attempt.attemptNo, 1);
    assert.equal(outcome.attempt.willRetry, false);
    const got = rx.requests.filter((r) => r.path === "/ok");
    assert.equal(got.length, 1);
    assert.equal(got[0].headers["webhook-id"], c.eventId);
    // The receiver's check, with the secret the endpoint holds encrypted.
    const v = verifyWebhook({ secret, headers: got[0].headers as Record<string, string>, body: got[0].body });
    assert.equal(v.ok, true, JSON.stringify(v));
    // The payload's bytes go out as ingested (1.50 stays 1.50).
    assert.ok(got[0].body.includes('"n":1.50'), got[0].body);
    assert.equal(outcome.attempt.request?.body, got[0].body, "the attempt records the body that was sent");
  });

  it("schedules a retry after a 500, by the policy's first delay", async () => {
    const c = await claimedFor("/fail");
    const before = Date.now();
    const outcome = await attemptDelivery([c], options());
    assert.ok(outcome);
    assert.equal(outcome.status, "pending");
    assert.equal(outcome.attempt.statusCode, 500);
    assert.equal(outcome.attempt.willRetry, true);
    assert.ok(outcome.nextAttemptAt !== null && outcome.nextAttemptAt >= before + DEFAULT_SCHEDULE_MS[0], String(outcome.nextAttemptAt));
    assert.equal(outcome.disableEndpoint, null);
  });

  it("fails the delivery and disables the endpoint on 410 Gone", async () => {
    const c = await claimedFor("/gone");
    const outcome = await attemptDelivery([c], options());
    assert.ok(outcome);
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.disableEndpoint, "gone");
  });

  it("sends nothing and records nothing when the endpoint was deleted meanwhile", async () => {
    const c = await claimedFor("/ok");
    const sentBefore = rx.requests.length;
    assert.equal(await store.deleteEndpoint("acme", c.endpointId, Date.now()), true);
    assert.equal(await attemptDelivery([c], options()), null);
    assert.equal(rx.requests.length, sentBefore);
  });
});
