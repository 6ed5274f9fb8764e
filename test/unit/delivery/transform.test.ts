import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { TransformError, compileTransform, runTransform, transformPoolOptions, type TransformInput } from "../../../src/delivery/transform.ts";
import { type TransformPool, createTransformPool } from "../../../src/delivery/transform-pool.ts";

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
    const t = compileTransform(
      '{"alert_id": id, "kind": type, "sev": severity, "phase": state, "key": fingerprint, "n": updateCount, "ip": payload.srcip, "tag": payload.tags[1]}',
    );
    assert.equal(
      await runTransform(t, doc, 1000),
      '{"alert_id":"msg_1","kind":"ddos","sev":"high","phase":"start","key":"fp-1","n":0,"ip":"198.51.100.7","tag":"b"}',
    );
  });

  it("names the position of a syntax error", () => {
    assert.throws(
      () => compileTransform('{"a": payload.'),
      (e: unknown) => e instanceof TransformError && /^position \d+: /.test(e.message),
    );
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
    assert.equal(
      await run('{"src_ip": payload.srcip, "m": payload.metrics, "s": payload.score, "double": payload.score * 2}'),
      '{"src_ip":"198.51.100.7","m":{"avg":0.00,"max":12345678901234567890},"s":9.5,"double":19}',
    );
    // Without the payload text (as before), every number is written plain.
    assert.equal(await runTransform(compileTransform("payload.metrics"), input, 10_000), '{"avg":0,"max":12345678901234567000}');
  });
});

/** Exponential backtracking inside one built-in call: minutes on one thread, JSONata never gets a step in. */
const BACKTRACKING = `$match("${"a".repeat(31)}!", /(a+)+$/)`;
const isTransformError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof TransformError, `a TransformError, not ${String(e)}`);
  assert.match(e.message, pattern);
  return true;
};

describe("transform limits (each run in a transform process)", () => {
  const pools: TransformPool[] = [];
  after(() => Promise.all(pools.map((p) => p.close())));
  const poolOf = (size: number, over: Partial<ReturnType<typeof transformPoolOptions>> = {}) => {
    const p = createTransformPool({ ...transformPoolOptions(size), ...over });
    pools.push(p);
    return p;
  };
  const run = (p: TransformPool, tenant: string, expression: string) => p.run({ tenant, expression, input: { ...doc, tenant }, maxBytes: 10_000 });

  it("kills a backtracking regular expression at the time limit while this event loop stays free, and the next run succeeds", async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      await assert.rejects(runTransform(compileTransform(BACKTRACKING), doc, 1000), isTransformError(/ran longer than 100 ms/));
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks > 0, "timers fired on this thread while the expression ran");
    assert.equal(await runTransform(compileTransform('{"ok": payload.srcip}'), doc, 1000), '{"ok":"198.51.100.7"}');
  });

  it("stops a half-gigabyte $pad at the time or memory limit", async () => {
    await assert.rejects(
      runTransform(compileTransform('$length($pad("", 500000000))'), doc, 1000),
      isTransformError(/ran longer than 100 ms|more than 64 MB of memory/),
    );
    assert.equal(await runTransform(compileTransform("payload.tags"), doc, 1000), '["a","b"]');
  });

  it("ends a run that exhausts its process's heap with the memory limit, and replaces the process", async () => {
    // A generous clock, so that the heap is what stops it.
    const p = poolOf(1, { killAfterMs: 60_000 });
    await assert.rejects(run(p, "acme", "$count([1..10000000])"), isTransformError(/used more than 64 MB of memory/));
    await assert.rejects(run(p, "acme", '$length($pad("", 100000000))'), isTransformError(/used more than 64 MB of memory/));
    assert.equal(await run(p, "acme", "payload.srcip"), '"198.51.100.7"');
    assert.equal(p.stats().processes, 1);
  });

  it("refuses a result over maxBytes in the transform process, whatever its size", async () => {
    // A generous clock, so that the size is what stops it even on a busy machine.
    const p = poolOf(1, { killAfterMs: 60_000 });
    const sized = (expression: string, maxBytes: number) => p.run({ tenant: "acme", expression, input: { ...doc, tenant: "acme" }, maxBytes });
    await assert.rejects(sized('$pad("", 5000000, "x")', 1_000_000), isTransformError(/over 1000000 bytes/));
    // Characters are not bytes: 400,000 two-byte characters are 800,000 bytes.
    await assert.rejects(sized('$pad("", 400000, "é")', 700_000), isTransformError(/over 700000 bytes/));
  });

  it("does not kill a run whose answer arrived while this event loop was blocked past the time limit", async () => {
    const p = poolOf(1);
    assert.equal(await run(p, "warm", "type"), '"ddos"', "a started, idle process");
    const pending = run(p, "a", "payload.srcip");
    // A busy host: this thread is blocked well past the kill time while the process answers at once.
    // When the loop resumes, the kill timer is due and the answer is waiting to be read.
    const until = Date.now() + transformPoolOptions(1).killAfterMs + 1500;
    while (Date.now() < until);
    assert.equal(await pending, '"198.51.100.7"', "the answer that arrived in time is taken, not a timeout");
    assert.equal(p.stats().processes, 1, "the process was kept");
  });

  it("keeps serving after runs were killed: processes are replaced, never more than the pool's size", async () => {
    const p = poolOf(2);
    const results = await Promise.allSettled([run(p, "a", BACKTRACKING), run(p, "b", BACKTRACKING), run(p, "c", BACKTRACKING)]);
    for (const r of results) assert.equal(r.status, "rejected");
    assert.ok(p.stats().processes <= 2);
    assert.deepEqual(await Promise.all([run(p, "a", "id"), run(p, "b", "type")]), ['"msg_1"', '"ddos"']);
    assert.deepEqual(p.stats(), { processes: 2, busy: 0, waiting: 0 });
  });

  it("shares processes fairly: a tenant flooding with runaway runs holds at most all but one process, so another tenant's run is served at once", async () => {
    const p = poolOf(2);
    const order: string[] = [];
    const flood = Array.from({ length: 6 }, (_, i) =>
      run(p, "flood", BACKTRACKING).catch((e: unknown) => {
        order.push(`flood-${i}`);
        assert.ok(e instanceof TransformError);
      }),
    );
    const calm = run(p, "calm", "type").then((v) => {
      order.push("calm");
      return { v, waitingThen: p.stats().waiting };
    });
    const got = await calm;
    assert.equal(got.v, '"ddos"');
    assert.ok(got.waitingThen >= 4, `the flooding tenant still had runs waiting (${got.waitingThen}) when the other tenant's run finished`);
    await Promise.all(flood);
    assert.ok(order.indexOf("calm") <= 1, `order of completion: ${order.join(", ")}`);
  });

  it("serves tenants round robin: with one process, another tenant's run waits for at most one run of the flooding tenant", async () => {
    const p = poolOf(1);
    const order: string[] = [];
    const flood = Array.from({ length: 4 }, (_, i) => run(p, "flood", BACKTRACKING).catch(() => order.push(`flood-${i}`)));
    const calm = run(p, "calm", "type").then(() => order.push("calm"));
    await Promise.all([...flood, calm]);
    assert.deepEqual(order, ["flood-0", "calm", "flood-1", "flood-2", "flood-3"]);
  });

  it("fails a tenant's run at once when too many of its runs are waiting, and other tenants are unaffected", async () => {
    const p = poolOf(1, { maxQueuedPerTenant: 2 });
    assert.equal(await run(p, "calm", "id"), '"msg_1"'); // the process is started
    const running = run(p, "flood", BACKTRACKING).catch(() => "stopped");
    assert.deepEqual(p.stats(), { processes: 1, busy: 1, waiting: 0 });
    const waiting = [run(p, "flood", "id"), run(p, "flood", "id")];
    await assert.rejects(run(p, "flood", "id"), isTransformError(/2 transforms of this tenant are already waiting/));
    assert.equal(await run(p, "calm", "type"), '"ddos"');
    assert.equal(await running, "stopped");
    assert.deepEqual(await Promise.all(waiting), ['"msg_1"', '"msg_1"']);
  });
});
