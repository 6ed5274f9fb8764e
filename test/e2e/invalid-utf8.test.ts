import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startReceiver } from "../support/receiver.ts";
import { eventually, setupTenant, withServer } from "../support/server.ts";

// JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1). A body that is not is refused
// with a 400 naming the first bad byte: what is acknowledged is what is delivered, byte for byte.

/** Sends `bytes` as the body, as they are. */
async function post(url: string, apiKey: string, path: string, bytes: Buffer, method = "POST", type = "application/json") {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${apiKey}`, "content-type": type }, body: bytes });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const BAD = Buffer.concat([Buffer.from('{"type":"alert.fired","payload":{"note":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);

describe("bodies that are not UTF-8", () => {
  it("refuses an event whose JSON string holds bytes that are not UTF-8, naming the byte, and delivers nothing", async () => {
    const rx = await startReceiver();
    try {
      await withServer({}, async ({ url, apiKey, api }) => {
        await setupTenant(api, "acme", [{ url: rx.url }]);
        const r = await post(url, apiKey, "/v1/tenants/acme/events", BAD);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.match(r.type ?? "", /^application\/problem\+json/);
        assert.equal(r.body?.code, "invalid_json");
        // The first bad byte is at offset 42 (counted from 0): 0xFF can start no UTF-8 sequence.
        assert.match(String(r.body?.detail), /not UTF-8/);
        assert.match(String(r.body?.detail), /byte 42\b/);
        assert.match(String(r.body?.detail), /0xff/i);

        // The same event in UTF-8 is taken, and its bytes arrive unchanged.
        const good = Buffer.from('{"type":"alert.fired","payload":{"note":"a\u00ff\u00fe\u00c3 \u{1f514}"}}', "utf8");
        const ok = await post(url, apiKey, "/v1/tenants/acme/events", good);
        assert.equal(ok.status, 202, JSON.stringify(ok.body));
        const got = await eventually(async () => rx.requests[0], 10_000, "the good event's delivery");
        assert.equal(got.body, '{"note":"a\u00ff\u00fe\u00c3 \u{1f514}"}');
        assert.equal(rx.requests.length, 1, "only the UTF-8 event was delivered");
      });
    } finally {
      await rx.close();
    }
  });

  it("names the offset of a truncated sequence, an overlong form and a surrogate, on every JSON route", async () => {
    await withServer({}, async ({ url, apiKey, api }) => {
      await setupTenant(api, "acme", [{ url: "http://127.0.0.1:9/hook" }]);
      const cases: [string, number[], number][] = [
        ["a truncated two-byte sequence", [0xc3, 0x41], 10],
        ["an overlong encoding of '/'", [0xc0, 0xaf], 10],
        ["an encoded surrogate", [0xed, 0xa0, 0x80], 10],
        ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 10],
        ["a lone continuation byte", [0x80], 10],
      ];
      for (const [what, bytes, offset] of cases) {
        const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0x78]), Buffer.from(bytes), Buffer.from('"}')]);
        const r = await post(url, apiKey, "/v1/tenants", body);
        assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.body?.detail), new RegExp(`byte ${offset}\\b`), what);
      }
      // A merge patch too.
      const patch = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xfe]), Buffer.from('"}')]);
      const p = await post(url, apiKey, "/v1/tenants/acme", patch, "PATCH", "application/merge-patch+json");
      assert.equal(p.status, 400, JSON.stringify(p.body));
      assert.match(String(p.body?.detail), /byte 9\b/);
      // Nothing was changed by the refused patch.
      const t = await api<{ name: string | null }>("GET", "/v1/tenants/acme");
      assert.notEqual(t.body.name, "\ufffd");
    });
  });
});
