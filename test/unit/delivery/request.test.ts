import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarizeLatency } from "../../../src/core/latency.ts";
import { defaultSettings } from "../../../src/core/endpoint-settings.ts";
import type { Endpoint, EndpointSettings } from "../../../src/core/types.ts";
import { attemptRequestOf, compileProfile, truncateUtf8 } from "../../../src/delivery/request.ts";
import type { OutgoingRequest } from "../../../src/delivery/sender.ts";

const transport: OutgoingRequest["transport"] = {
  endpointId: "ep_x",
  poolKey: "x",
  connectTimeoutMs: 1,
  requestTimeoutMs: 1,
  cert: null,
  key: null,
  ca: null,
  skipVerify: false,
};

describe("attempt records", () => {
  it("truncateUtf8 keeps the longest prefix that fits, never half a character", () => {
    assert.equal(truncateUtf8("abc", 3), "abc");
    assert.equal(truncateUtf8("abc", 2), "ab");
    assert.equal(truncateUtf8("aé", 2), "a", "é is two bytes: it does not fit in the second byte");
    assert.equal(truncateUtf8("aé", 3), "aé");
    assert.equal(truncateUtf8("€€", 5), "€", "€ is three bytes");
    assert.equal(truncateUtf8("😀x", 3), "", "a four-byte character is kept whole or not at all");
    assert.equal(truncateUtf8("😀x", 4), "😀");
    assert.equal(truncateUtf8("", 0), "");
  });

  it("attemptRequestOf redacts credentials, keeps header order and measures the whole body", () => {
    const body = `{"t":"${"ü".repeat(20)}"}`;
    const req: OutgoingRequest = {
      url: "https://hooks.example/x",
      method: "PUT",
      headers: { "content-type": "application/json", "X-Token-Name": "kept", "webhook-id": "evt_1", authorization: "Bearer sekret" },
      body,
      transport,
    };
    const r = attemptRequestOf(req, 16);
    assert.equal(r.method, "PUT");
    assert.equal(r.url, "https://hooks.example/x");
    assert.deepEqual(Object.keys(r.headers), ["content-type", "X-Token-Name", "webhook-id", "authorization"]);
    assert.equal(r.headers.authorization, "Bearer [redacted]");
    assert.equal(r.headers["X-Token-Name"], "kept");
    assert.equal(r.bodyBytes, Buffer.byteLength(body));
    assert.equal(r.body, '{"t":"üüüüü', "16 bytes: 6 ASCII and five two-byte characters");
    assert.equal(req.headers.authorization, "Bearer sekret", "the request itself is not changed");
    assert.deepEqual(attemptRequestOf({ ...req, method: "GET", body: null }, 16), {
      method: "GET",
      url: req.url,
      headers: r.headers,
      body: null,
      bodyBytes: 0,
    });
    assert.equal(attemptRequestOf(req, 1024).body, body, "a body under the limit is kept whole");
  });

  it("summarizeLatency gives nearest-rank percentiles and a histogram that counts every attempt once", () => {
    const empty = summarizeLatency([]);
    assert.deepEqual({ ...empty, histogram: undefined }, { count: 0, p50: null, p90: null, p99: null, max: null, histogram: undefined });
    assert.equal(empty.histogram.length, 11);
    assert.ok(empty.histogram.every((b) => b.count === 0));

    const durations = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    const s = summarizeLatency(durations);
    assert.equal(s.count, 100);
    assert.equal(s.p50, 50);
    assert.equal(s.p90, 90);
    assert.equal(s.p99, 99);
    assert.equal(s.max, 100);
    assert.deepEqual(
      s.histogram.map((b) => [b.upToMs, b.count]),
      [
        [10, 10],
        [25, 15],
        [50, 25],
        [100, 50],
        [250, 0],
        [500, 0],
        [1000, 0],
        [2500, 0],
        [5000, 0],
        [10_000, 0],
        [null, 0],
      ],
    );
    const slow = summarizeLatency([10, 10_000, 10_001, 60_000]);
    assert.deepEqual(
      slow.histogram.map((b) => b.count),
      [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
      "a bound is inclusive; slower than the last goes in the last bar",
    );
    assert.equal(slow.p50, 10_000);
    assert.equal(summarizeLatency([7]).p99, 7);
  });
});

describe("an endpoint's egress proxy in its profile", () => {
  const endpoint = (settings: Partial<EndpointSettings>): Endpoint => ({
    id: "ep_1",
    tenantId: "t",
    url: "https://hooks.example.com/a",
    name: null,
    description: null,
    eventTypes: ["*"],
    minSeverity: null,
    settings: { ...defaultSettings(), ...settings },
    enabled: true,
    disabledReason: null,
    fallbackEndpointId: null,
    validationStatus: "none",
    validationError: null,
    validatedAt: null,
    previousSecretExpiresAt: null,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  });
  const secrets = { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", previousSecret: null, credentials: { clientSecret: "s3cret" } };
  const oauth2 = {
    type: "oauth2" as const,
    tokenUrl: "https://idp.example/token",
    clientId: "c",
    scopes: [],
    audience: null,
    extraParams: {},
    clientAuth: "basic" as const,
  };

  it("sends the deliveries and the OAuth2 token requests through it, and neither without one", () => {
    const via = compileProfile(endpoint({ proxy: "eu-static", auth: oauth2 }), secrets, "ua");
    assert.equal(via.transport.proxy, "eu-static");
    assert.equal(via.oauth2?.transport.proxy, "eu-static");
    const direct = compileProfile(endpoint({ auth: oauth2 }), secrets, "ua");
    assert.equal(direct.transport.proxy, null);
    assert.equal(direct.oauth2?.transport.proxy ?? null, null);
  });
});
