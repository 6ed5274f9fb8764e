import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type TocsinClient, createTocsinClient, unwrap } from "@tocsin/client";
import { testBackends } from "../support/backends.ts";
import { runCli } from "../support/cli.ts";
import { withReceiver } from "../support/receiver.ts";
import { type Api, withBackendServer, withServer } from "../support/server.ts";

// Fingerprints are the keys vendors already have (Netography's cachekey holds a space): any
// well-formed Unicode text without control characters, 1 to 256 bytes of UTF-8, compared exactly,
// and found again by that key in GET …/alerts/{fingerprint}.

type Problem = { status: number; code: string; errors?: { path: string; message: string }[] };

/** Netography's own example key (its webhook documentation, `cachekey`). */
const NETOGRAPHY_KEY = "1.2.3.4 7.8.9.10";

const getAlert = (client: TocsinClient, fingerprint: string) =>
  unwrap(client.GET("/v1/tenants/{tenant}/alerts/{fingerprint}", { params: { path: { tenant: "acme", fingerprint } } }));

const postEvent = (client: TocsinClient, body: { type: string; fingerprint: string; state?: "start" | "ongoing" | "end"; payload: unknown }) =>
  unwrap(client.POST("/v1/tenants/{tenant}/events", { params: { path: { tenant: "acme" } }, body }));

/** Posts JSON text as written, so escapes such as \ud800 reach the server as sent. */
const postText = async (api: Api, text: string) => api<Problem & { id?: string }>("POST", "/v1/tenants/acme/events", text);

for (const backend of await testBackends()) {
  describe(`fingerprints (${backend})`, () => {
    it("takes Netography's cachekey: start, GET by the key in the path through the client, end resolves it", async () => {
      await withReceiver(
        () => ({}),
        async (rx) => {
          await withBackendServer(backend, {}, async ({ url, apiKey }) => {
            const client = createTocsinClient({ baseUrl: url, apiKey });
            await unwrap(client.POST("/v1/tenants", { body: { id: "acme" } }));
            await unwrap(
              client.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant: "acme" } }, body: { url: rx.url, eventTypes: ["netography.*"] } }),
            );

            const start = await postEvent(client, {
              type: "netography.event",
              fingerprint: NETOGRAPHY_KEY,
              payload: { alerttype: "start", cachekey: NETOGRAPHY_KEY },
            });
            assert.equal("deliveries" in start && start.deliveries, 1);
            const open = await getAlert(client, NETOGRAPHY_KEY);
            assert.equal(open.fingerprint, NETOGRAPHY_KEY);
            assert.equal(open.status, "open");
            assert.equal(open.endedAt, null);

            const end = await postEvent(client, {
              type: "netography.event",
              fingerprint: NETOGRAPHY_KEY,
              state: "end",
              payload: { alerttype: "end", cachekey: NETOGRAPHY_KEY },
            });
            assert.equal("deliveries" in end && end.deliveries, 1);
            const resolved = await getAlert(client, NETOGRAPHY_KEY);
            assert.equal(resolved.status, "resolved");
            assert.equal(resolved.updateCount, 1);
            assert.ok(resolved.endedAt !== null);

            // Delivered as posted (the raw envelope): the start, then the end.
            const sent = await rx.waitFor(2);
            const bodies = sent.map((r) => JSON.parse(r.body) as { alerttype: string; cachekey: string });
            assert.deepEqual(
              bodies.sort((a, b) => (a.alerttype < b.alerttype ? 1 : -1)),
              [
                { alerttype: "start", cachekey: NETOGRAPHY_KEY },
                { alerttype: "end", cachekey: NETOGRAPHY_KEY },
              ],
            );
          });
        },
      );
    });

    it("tells keys apart exactly (no normalisation) and finds each by its key in the path, / ? # % and emoji included", async () => {
      await withBackendServer(backend, {}, async ({ url, apiKey, api }) => {
        const client = createTocsinClient({ baseUrl: url, apiKey });
        await unwrap(client.POST("/v1/tenants", { body: { id: "acme" } }));
        const keys = [
          NETOGRAPHY_KEY,
          "a/b",
          "a/../b",
          "a?b=1",
          "a#b",
          "100%",
          "a%2Fb",
          "\u00fc", // ü precomposed
          "u\u0308", // ü decomposed
          "\u00e9",
          "e\u0301",
          "🔥",
          "...",
          "$&'()*+,;=",
          "Ω".repeat(128), // 256 bytes
        ];
        for (const fingerprint of keys) await postEvent(client, { type: "x.y", fingerprint, payload: {} });
        for (const fingerprint of keys) {
          const a = await getAlert(client, fingerprint);
          assert.equal(a.fingerprint, fingerprint, JSON.stringify(fingerprint));
          assert.equal(a.updateCount, 0, `${JSON.stringify(fingerprint)} is its own alert`);
        }
        // Listed page by page: the cursor carries any key.
        const listed: string[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < keys.length + 1; page++) {
          const p = await unwrap(
            client.GET("/v1/tenants/{tenant}/alerts", { params: { path: { tenant: "acme" }, query: { limit: 2, ...(cursor ? { cursor } : {}) } } }),
          );
          listed.push(...p.data.map((a) => a.fingerprint));
          if (p.nextCursor === null) break;
          cursor = p.nextCursor;
        }
        assert.deepEqual([...listed].sort(), [...keys].sort());

        // JSON escapes stand for their characters outside the payload too: "caf\u00e9" is "café",
        // in the fingerprint as in the type and the idempotency key.
        const escaped = await postText(api, '{"type":"x\\u002ey","fingerprint":"caf\\u00e9 \\ud83d\\udd25","idempotencyKey":"k\\u00e9","payload":{}}');
        assert.equal(escaped.status, 202, JSON.stringify(escaped.body));
        assert.equal((await postText(api, '{"type":"x.y","fingerprint":"café 🔥","payload":{}}')).status, 202);
        assert.equal((await getAlert(client, "café 🔥")).updateCount, 1);
        const again = await postText(api, '{"type":"x.y","fingerprint":"café 🔥","idempotencyKey":"ké","payload":{}}');
        assert.deepEqual([again.status, again.body.id], [200, escaped.body.id], "the same idempotency key");
      });
    });
  });
}

describe("fingerprints: refused", () => {
  it("answers 400 naming /fingerprint and what is wrong: controls, lone surrogates, bytes over 256, . and .., white space at the ends", async () => {
    await withServer({}, async ({ api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const edge = (where: string, cp: string) => `${where} with white space (U+${cp}); leading and trailing white space is refused as a likely mistake`;
      const cases: [string, string][] = [
        ['"ab\\u0007cd"', "contains a control character U+0007 at position 3"],
        ['"a\\u0000"', "contains a control character U+0000 at position 2"],
        ['"tab\\there"', "contains a control character U+0009 at position 4"],
        ['"a\u0085b"', "contains a control character U+0085 at position 2"],
        ['"a\\u009f"', "contains a control character U+009F at position 2"],
        ['"\\ud800"', "contains a lone surrogate U+D800 at position 1: a fingerprint must be well-formed Unicode text"],
        ['"🔥\\udc00"', "contains a lone surrogate U+DC00 at position 2: a fingerprint must be well-formed Unicode text"],
        [JSON.stringify("é".repeat(128) + "x"), "is 257 bytes in UTF-8; at most 256"],
        [JSON.stringify("x".repeat(257)), "is 257 bytes in UTF-8; at most 256"],
        ['"."', 'must not be "." or "..", which URLs fold away as dot segments'],
        ['".."', 'must not be "." or "..", which URLs fold away as dot segments'],
        ['""', "must not be empty"],
        [JSON.stringify(` ${NETOGRAPHY_KEY}`), edge("begins", "0020")],
        [JSON.stringify(`${NETOGRAPHY_KEY} `), edge("ends", "0020")],
        ['"key\\u00a0"', edge("ends", "00A0")],
      ];
      for (const [text, message] of cases) {
        const r = await postText(api, `{"type":"x.y","fingerprint":${text},"payload":{}}`);
        assert.equal(r.status, 400, `${text}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, "validation_failed");
        assert.deepEqual(r.body.errors, [{ path: "/fingerprint", message }], text);
      }
      // In a batch, the path names the event; nothing of the batch is stored.
      const batch = await postText(api, '[{"type":"x.y","fingerprint":"ok","payload":{}},{"type":"x.y","fingerprint":"bad\\u0007","payload":{}}]');
      assert.equal(batch.status, 400, JSON.stringify(batch.body));
      assert.deepEqual(batch.body.errors, [{ path: "/1/fingerprint", message: "contains a control character U+0007 at position 4" }]);
      assert.equal((await api("GET", "/v1/tenants/acme/alerts/ok")).status, 404);
      // 256 bytes of multibyte text is fine.
      assert.equal((await postText(api, `{"type":"x.y","fingerprint":${JSON.stringify("é".repeat(128))},"payload":{}}`)).status, 202);

      // The same rule in the path: a key no alert can have is a 400, not a 404.
      for (const [segment, message] of [
        ["%20x", edge("begins", "0020")],
        ["%C2%85", "contains a control character U+0085 at position 1"],
        [encodeURIComponent("é".repeat(129)), "is 258 bytes in UTF-8; at most 256"],
      ]) {
        const r = await api<Problem>("GET", `/v1/tenants/acme/alerts/${segment}`);
        assert.equal(r.status, 400, `${segment}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body.errors, [{ path: "path.fingerprint", message }], segment);
      }
      assert.equal((await api("GET", `/v1/tenants/acme/alerts/${encodeURIComponent("é".repeat(128))}`)).status, 200);
    });
  });

  it("the CLI sends a key with a space as given: tocsin send --fingerprint '1.2.3.4 7.8.9.10'", async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      await api("POST", "/v1/tenants", { id: "acme" });
      const env = { TOCSIN_URL: url, TOCSIN_API_KEY: apiKey };
      const r = await runCli(["send", "--tenant", "acme", "--type", "netography.event", "--fingerprint", NETOGRAPHY_KEY, "--json"], env, { input: "{}" });
      assert.equal(r.code, 0, r.err);
      const a = await api<{ fingerprint: string; status: string }>("GET", `/v1/tenants/acme/alerts/${encodeURIComponent(NETOGRAPHY_KEY)}`);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.deepEqual([a.body.fingerprint, a.body.status], [NETOGRAPHY_KEY, "open"]);
    });
  });
});
