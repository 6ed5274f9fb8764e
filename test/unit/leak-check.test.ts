import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs one fixture under `node --test` with the leak check, as the npm test scripts do. */
function runFixture(name: string): Promise<{ code: number | null; output: string }> {
  // NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--test", "--test-reporter=spec", "--import", "./test/support/leaks.ts", `test/fixtures/${name}`],
      { cwd: ROOT, env: { ...env, NO_COLOR: "1" } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, output: stdout + stderr }),
    );
  });
}

describe("the leak check (test/support/leaks.ts)", { concurrency: true }, () => {
  it("fails a file that leaves a server listening, naming the server", async () => {
    const { code, output } = await runFixture("leak-server.ts");
    assert.equal(code, 1, output);
    assert.match(output, /leak-server\.ts left resources open/);
    assert.match(output, /TCPServerWrap x1: a listening TCP server/);
    assert.match(output, /server listening on 127\.0\.0\.1:\d+/);
    assert.match(output, /ℹ fail 1/);
  });

  it("fails a file that leaves an interval running, naming the timer", async () => {
    const { code, output } = await runFixture("leak-timer.ts");
    assert.equal(code, 1, output);
    assert.match(output, /leak-timer\.ts left resources open/);
    assert.match(output, /Timeout x1: a ref'ed timer/);
  });

  it("passes a file whose servers and child process are closed, its timer unref()'ed, its stdin used", async () => {
    const { code, output } = await runFixture("leak-clean.ts");
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /left resources open/);
    assert.match(output, /ℹ pass 4/);
  });
});
