import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DigestInfo } from "../../../src/core/types.ts";
import { type EventForShaping, shapeDigest } from "../../../src/delivery/request.ts";

// A digest's body: its summary with the count, then its members as a batch shapes them.

const info: DigestInfo = { groupBy: "fingerprint", key: "db-1", folded: 7, windowStart: Date.UTC(2026, 11, 6, 12), windowEnd: Date.UTC(2026, 11, 6, 12, 5) };
const ev = (payload: string): EventForShaping => ({
  id: "evt_1",
  tenantId: "t",
  type: "disk.full",
  createdAt: 0,
  payload,
  severity: null,
  fingerprint: "db-1",
  state: "ongoing",
  startedAt: 0,
  updateCount: 1,
});
const summary = {
  id: "dig_1",
  groupBy: "fingerprint",
  key: "db-1",
  count: 7,
  listed: 2,
  windowStart: "2026-12-06T12:00:00.000Z",
  windowEnd: "2026-12-06T12:05:00.000Z",
};

describe("delivery: digest bodies", () => {
  it("is one JSON object for the JSON envelopes, the payloads' bytes kept", async () => {
    for (const envelope of ["raw", "standard", "array"] as const) {
      const body = await shapeDigest({ envelope, transform: null }, "dig_1", info, [ev('{"n":1.50}'), ev('{"n":2}')], 1 << 20);
      assert.equal(body, `{"type":"tocsin.digest","digest":${JSON.stringify(summary)},"events":[{"n":1.50},{"n":2}]}`);
    }
  });

  it("is the summary line, then one line per event, for ndjson", async () => {
    const body = await shapeDigest({ envelope: "ndjson", transform: null }, "dig_1", info, [ev('{"n":1}'), ev('{"n":2}')], 1 << 20);
    assert.equal(body, `{"type":"tocsin.digest","digest":${JSON.stringify(summary)}}\n{"n":1}\n{"n":2}\n`);
  });
});
