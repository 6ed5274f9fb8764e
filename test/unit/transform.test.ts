import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransformError, compileTransform, runTransform, type TransformInput } from "../../src/delivery/transform.ts";

const doc: TransformInput = {
  id: "msg_1",
  type: "ddos",
  severity: "high",
  state: "start",
  fingerprint: "fp-1",
  tenant: "acme",
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: "2026-01-01T00:00:00.000Z",
  updateCount: 0,
  payload: { srcip: "198.51.100.7", tags: ["a", "b"] },
};

describe("transform", () => {
  it("renames fields and sees every field of the event document", async () => {
    const t = compileTransform('{"alert_id": id, "kind": type, "sev": severity, "phase": state, "key": fingerprint, "n": updateCount, "ip": payload.srcip, "tag": payload.tags[1]}');
    assert.equal(await runTransform(t, doc, 1000), '{"alert_id":"msg_1","kind":"ddos","sev":"high","phase":"start","key":"fp-1","n":0,"ip":"198.51.100.7","tag":"b"}');
  });

  it("names the position of a syntax error", () => {
    assert.throws(() => compileTransform('{"a": payload.'), (e: unknown) => e instanceof TransformError && /^position \d+: /.test(e.message));
    assert.throws(() => compileTransform("$$$("), TransformError);
  });

  it("fails when the output is over the byte limit, and at exactly the limit passes", async () => {
    const t = compileTransform('$pad("", 2000, "x")');
    await assert.rejects(runTransform(t, doc, 2001), (e: unknown) => e instanceof TransformError && /over 2001 bytes/.test(e.message));
    assert.equal((await runTransform(t, doc, 2002)).length, 2002);
  });

  it("fails when nothing matches, and on an error raised by the expression", async () => {
    await assert.rejects(runTransform(compileTransform("payload.missing"), doc, 1000), /produced nothing/);
    await assert.rejects(runTransform(compileTransform('$error("boom")'), doc, 1000), /boom/);
  });

  it("stops runaway recursion and loops within its bounds", async () => {
    const deep = compileTransform("( $f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000) )");
    await assert.rejects(runTransform(deep, doc, 1000), /nested deeper|ran longer/);
    const slow = compileTransform("( $f := function($n) { $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(40) )");
    const started = Date.now();
    await assert.rejects(runTransform(slow, doc, 1000), /ran longer|nested deeper/);
    assert.ok(Date.now() - started < 5000, "the time bound held");
  });

  it("cannot reach the process: no require, no globals", async () => {
    await assert.rejects(runTransform(compileTransform('$eval("process.exit(1)")'), doc, 1000), TransformError);
    await assert.rejects(runTransform(compileTransform("$require"), doc, 1000), /produced nothing/);
  });

  it("keeps the number text of payload objects and arrays carried over unchanged; picked or computed numbers are plain", async () => {
    const text = '{"srcip":"198.51.100.7","metrics":{"avg":0.00,"max":12345678901234567890},"list":[1.50,{"q":"a\\u0041"}],"score":9.50}';
    const input = { ...doc, payload: JSON.parse(text) as unknown };
    const run = (expr: string) => runTransform(compileTransform(expr), input, 10_000, text);
    assert.equal(await run("payload"), text);
    // $merge builds a new object: its members that are payload objects or arrays keep their text,
    // a number placed in it directly is plain.
    assert.equal(
      await run('$merge([payload, {"event_id": id}])'),
      '{"srcip":"198.51.100.7","metrics":{"avg":0.00,"max":12345678901234567890},"list":[1.50,{"q":"a\\u0041"}],"score":9.5,"event_id":"msg_1"}',
    );
    assert.equal(await run('{"src_ip": payload.srcip, "m": payload.metrics, "s": payload.score, "double": payload.score * 2}'), '{"src_ip":"198.51.100.7","m":{"avg":0.00,"max":12345678901234567890},"s":9.5,"double":19}');
    // Without the payload text (as before), every number is written plain.
    assert.equal(await runTransform(compileTransform("payload.metrics"), input, 10_000), '{"avg":0,"max":12345678901234567000}');
  });
});
