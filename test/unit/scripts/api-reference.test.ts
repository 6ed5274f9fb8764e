import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { type OpenApiDocument, REFERENCE_PATH, REGENERATE, loadOpenApiDocument, renderReference } from "../../../scripts/api-reference.ts";

describe("docs/reference.md", () => {
  let doc: OpenApiDocument;
  let page: string;
  before(async () => {
    const loaded = await loadOpenApiDocument();
    doc = loaded.doc;
    page = renderReference(loaded.doc, loaded.maxBatchEvents);
  });

  it("is what the server's OpenAPI document generates, byte for byte", () => {
    const committed = readFileSync(REFERENCE_PATH, "utf8");
    if (committed === page) return;
    const a = committed.split("\n");
    const b = page.split("\n");
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    assert.fail(
      `docs/reference.md is out of date with the routes in src/api/: run \`${REGENERATE}\` and commit the result.\n` +
        `First difference at line ${i + 1}:\n  committed: ${a[i] ?? "(end of file)"}\n  generated: ${b[i] ?? "(end of file)"}`,
    );
  });

  it("has a section for every operation of the document", () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        assert.ok(page.includes(`\n### ${method.toUpperCase()} ${path}\n`), `no section for ${method.toUpperCase()} ${path}`);
      }
    }
  });

  it("renders the same page twice from the same document", () => {
    assert.equal(renderReference(doc, 1000), renderReference(structuredClone(doc), 1000));
  });
});
