import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Endpoint } from "../../../../packages/client/src/index.ts";
import { fieldForPath, problemToFieldErrors } from "../../../../web/src/lib/endpoint-errors.ts";
import {
  type EndpointForm,
  endpointToForm,
  formToCreate,
  formToPatch,
  headersPatch,
  newEndpointForm,
  originMove,
  parseEventTypes,
} from "../../../../web/src/lib/endpoint-form.ts";
import { type Certs, makeCerts } from "../../../support/certs.ts";
import { type TestServer, startServer } from "../../../support/server.ts";

const form = (over: Partial<EndpointForm>): EndpointForm => ({ ...newEndpointForm(), ...over });

describe("web console: endpoint form → create body", () => {
  it("sends only the URL and event types when nothing else is changed", () => {
    assert.deepEqual(formToCreate(form({ url: " https://h.example/a ", eventTypes: "alert.*, leak" })), {
      body: { url: "https://h.example/a", eventTypes: ["alert.*", "leak"] },
    });
  });

  it("maps every group of settings to its API field", () => {
    const r = formToCreate(
      form({
        name: "SOC",
        url: "https://h.example/a",
        description: "d",
        eventTypes: "leak",
        minSeverity: "high",
        enabled: false,
        method: "PUT",
        headers: "X-Team: soc, X-Env: prod",
        connectMs: "2000",
        requestMs: "",
        authType: "basic",
        username: "u",
        password: "p",
        ca: "CA",
        skipVerify: true,
        envelope: "array",
        transform: "payload",
        ongoingIntervalSec: "0",
        sendResolved: false,
        batching: true,
        batchMaxEvents: "10",
        rateLimiting: true,
        ratePerSecond: "0.5",
        signingScheme: "hmac-sha256",
        signingHeader: "X-Hub-Signature-256",
        signingPrefix: "sha256=",
        validationMode: "token-path",
        validationMethod: "GET",
        secret: "s3cret-s3cret-s3cret",
      }),
    );
    assert.deepEqual(r, {
      body: {
        url: "https://h.example/a",
        eventTypes: ["leak"],
        name: "SOC",
        description: "d",
        enabled: false,
        secret: "s3cret-s3cret-s3cret",
        minSeverity: "high",
        method: "PUT",
        headers: { "X-Team": "soc", "X-Env": "prod" },
        timeouts: { connectMs: 2000 },
        auth: { type: "basic", username: "u", password: "p" },
        tls: { ca: "CA", skipVerify: true },
        signing: { scheme: "hmac-sha256", header: "X-Hub-Signature-256", encoding: "hex", prefix: "sha256=", timestampHeader: null },
        validation: { mode: "token-path", method: "GET" },
        format: { envelope: "array", transform: "payload" },
        lifecycle: { ongoingIntervalSec: 0, sendResolved: false },
        batch: { maxEvents: 10, maxWaitMs: null },
        rateLimit: { perSecond: 0.5, burst: null },
      },
    });
  });

  it("collects every local error at once, under the field it belongs to", () => {
    const r = formToCreate(
      form({ url: "", headers: "no colon", connectMs: "fast", rateLimiting: true, batching: true, signingScheme: "hmac-sha256", clientKey: "KEY" }),
    );
    assert.ok(r.errors);
    assert.deepEqual(Object.keys(r.errors).sort(), ["batching", "clientCert", "connectMs", "headers", "ratePerSecond", "signingHeader", "url"]);
    assert.match(r.errors.headers!, /missing colon/);
    assert.equal(formToCreate(form({ url: "ftp://x" })).errors?.url, "must start with http:// or https://");
  });

  it("splits event types on commas, spaces and new lines", () => {
    assert.deepEqual(parseEventTypes(" a.*,b\nc  d ,, "), ["a.*", "b", "c", "d"]);
    assert.deepEqual(parseEventTypes(""), []);
  });
});

describe("web console: header merge patches", () => {
  it("sends changed and added headers, removes dropped ones, and renames by case without naming a header twice", () => {
    assert.equal(headersPatch({ A: "1" }, { A: "1" }), null);
    assert.deepEqual(headersPatch({ A: "1", B: "2" }, { A: "9", C: "3" }), { A: "9", C: "3", B: null });
    assert.deepEqual(headersPatch({ "X-Team": "red" }, { "x-team": "red" }), { "x-team": "red" });
  });
});

describe("web console: problem documents → inline errors", () => {
  it("puts each error under the field its JSON Pointer names", () => {
    assert.equal(fieldForPath("/url"), "url");
    assert.equal(fieldForPath("/headers/Host"), "headers");
    assert.equal(fieldForPath("/eventTypes/3"), "eventTypes");
    assert.equal(fieldForPath("/tls/clientKey"), "clientKey");
    assert.equal(fieldForPath("/signing/timestampHeader"), "signingTimestampHeader");
    assert.equal(fieldForPath("/rateLimit/perSecond"), "ratePerSecond");
    assert.equal(fieldForPath("/batch"), "batching");
    assert.equal(fieldForPath("/auth/password/extra"), "password");
    assert.equal(fieldForPath("/bogus"), null);
    assert.equal(fieldForPath(""), null);
  });

  it("names the header, keeps the first error per field, and falls back to the detail", () => {
    const e = problemToFieldErrors({
      detail: "x",
      errors: [
        { path: "/headers/X-A~1B", message: "must be printable ASCII" },
        { path: "/headers/Host", message: "Host is set by HTTP itself" },
        { path: "/zzz", message: "is not a known field" },
      ],
    });
    assert.deepEqual(e, { headers: "X-A/B: must be printable ASCII", form: "/zzz: is not a known field" });
    assert.deepEqual(problemToFieldErrors({ detail: "the URL is blocked" }), { form: "the URL is blocked" });
  });
});

describe("web console: the form against a real server", () => {
  let server: TestServer;
  let certs: Certs;
  const tenant = "form-tenant";
  before(async () => {
    [server, certs] = await Promise.all([startServer({ TOCSIN_CONSOLE: "false" }), makeCerts()]);
    assert.equal((await server.api("POST", "/v1/tenants", { id: tenant })).status, 201);
  });
  after(async () => {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
    certs.cleanup();
  });
  const create = async (f: EndpointForm) => {
    const r = formToCreate(f);
    assert.ok(r.body, JSON.stringify(r.errors));
    const res = await server.api<Endpoint>("POST", `/v1/tenants/${tenant}/endpoints`, r.body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const patch = async (ep: Endpoint, f: EndpointForm) => {
    const r = formToPatch(ep, f);
    assert.ok(r.body, JSON.stringify(r.errors));
    const res = await server.api<Endpoint>("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, r.body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  it("shows the server's defaults for a new endpoint, and an unchanged form patches nothing", async () => {
    const ep = await create(form({ url: "https://h.example/a" }));
    const f = endpointToForm(ep);
    assert.deepEqual({ ...f, connectMs: "", requestMs: "" }, { ...newEndpointForm(), url: "https://h.example/a" });
    assert.deepEqual(formToPatch(ep, f), { body: {} });
  });

  it("round-trips every setting: what the form saves is what it shows again", async () => {
    const wanted = form({
      name: "All settings",
      url: "https://h.example/all",
      description: "every group",
      eventTypes: "alert.*, leak",
      minSeverity: "medium",
      enabled: false,
      method: "PUT",
      headers: "X-Team: soc, Accept: text/html, application/json",
      connectMs: "3000",
      requestMs: "4000",
      authType: "bearer",
      token: "tok-123",
      clientCert: certs.clientCert,
      clientKey: certs.clientKey,
      ca: certs.ca,
      skipVerify: true,
      envelope: "ndjson",
      transform: '{"id": id, "p": payload}',
      ongoingIntervalSec: "60",
      sendResolved: false,
      batching: true,
      batchMaxEvents: "20",
      batchMaxWaitMs: "500",
      rateLimiting: true,
      ratePerSecond: "2.5",
      rateBurst: "4",
      signingScheme: "hmac-sha256",
      signingHeader: "X-Grafana-Alerting-Signature",
      signingEncoding: "base64",
      signingPrefix: "",
      signingTimestampHeader: "X-Grafana-Alerting-Signature-Timestamp",
      validationMode: "none",
    });
    const ep = await create(wanted);
    assert.equal(ep.auth.tokenSet, true);
    assert.equal(ep.tls.clientKeySet, true);
    const shown = endpointToForm(ep);
    // Write-only values come back as "stored", never as text.
    // A value holding a comma puts the list one header a line, so it parses back the same.
    const headers = "X-Team: soc\nAccept: text/html, application/json";
    assert.deepEqual(shown, { ...wanted, headers, token: "", clientKey: "", clientCert: certs.clientCert.trim(), ca: certs.ca.trim() });
    assert.deepEqual(formToPatch(ep, shown), { body: {} });
  });

  it("patches only what changed, keeps stored secrets, and undoes settings back to the defaults", async () => {
    const ep = await create(
      form({
        url: "https://h.example/p",
        headers: "X-A: 1, X-B: 2",
        authType: "basic",
        username: "u",
        password: "pw",
        batching: true,
        envelope: "array",
        signingScheme: "hmac-sha256",
        signingHeader: "X-Sig",
      }),
    );
    const f = endpointToForm(ep);
    const edited: EndpointForm = {
      ...f,
      username: "v",
      headers: "x-a: 1, X-C: 3",
      batching: false,
      envelope: "raw",
      signingScheme: "standard",
      secret: "",
      connectMs: "",
    };
    const r = formToPatch(ep, edited);
    assert.deepEqual(r.body, {
      headers: { "x-a": "1", "X-C": "3", "X-B": null },
      timeouts: { connectMs: null },
      auth: { type: "basic", username: "v" },
      signing: { scheme: "standard" },
      format: { envelope: "raw", transform: null },
      batch: null,
    });
    // The hmac secret generated on create is a whsec_ secret, so switching to standard is allowed.
    const after = await patch(ep, edited);
    assert.equal(after.auth.username, "v");
    assert.equal(after.auth.passwordSet, true, "the stored password is kept");
    assert.deepEqual(after.headers, { "x-a": "1", "X-C": "3" });
    assert.equal(after.batch, null);
    assert.deepEqual(after.signing, { scheme: "standard" });
    assert.equal(after.timeouts.connectMs, 20_000);
    assert.deepEqual(formToPatch(after, endpointToForm(after)), { body: {} });
  });

  it("removes a client certificate together with its key, and auth altogether", async () => {
    const ep = await create(form({ url: "https://h.example/c", clientCert: certs.clientCert, clientKey: certs.clientKey, authType: "bearer", token: "t" }));
    const after = await patch(ep, { ...endpointToForm(ep), clientCert: "", authType: "none" });
    assert.equal(after.tls.clientCert, null);
    assert.equal(after.tls.clientKeySet, false);
    assert.deepEqual(after.auth, { type: "none" });
  });

  it("moving to another origin asks for the token and client key again, and keeps the headers only when told", async () => {
    const ep = await create(
      form({
        url: "https://a.example/h",
        headers: "X-Api-Key: k, X-Team: soc",
        authType: "bearer",
        token: "t-a",
        clientCert: certs.clientCert,
        clientKey: certs.clientKey,
      }),
    );
    const moved: EndpointForm = { ...endpointToForm(ep), url: "https://b.example:8443/h" };
    assert.deepEqual(originMove(ep, moved), {
      from: "https://a.example",
      to: "https://b.example:8443",
      authAgain: "token",
      clientKeyAgain: true,
      headersAsk: true,
      headersCleared: ["X-Api-Key", "X-Team"],
    });
    // Saved as is, the server would quietly drop what the form still shows: the form asks first.
    const asked = formToPatch(ep, moved);
    assert.deepEqual(Object.keys(asked.errors ?? {}).sort(), ["clientKey", "token"]);
    assert.match(asked.errors!.token!, /not sent to another origin/);

    const again: EndpointForm = { ...moved, token: "t-b", clientKey: certs.clientKey, keepHeaders: true };
    assert.deepEqual(originMove(ep, again), { ...originMove(ep, moved)!, authAgain: null, clientKeyAgain: false, headersCleared: [] });
    assert.deepEqual(formToPatch(ep, again).body, {
      url: "https://b.example:8443/h",
      headers: {},
      auth: { type: "bearer", token: "t-b" },
      tls: { clientKey: certs.clientKey.trim() },
    });
    const after = await patch(ep, again);
    assert.equal((after as { cleared?: string[] }).cleared, undefined, "nothing was cleared: everything was given again");
    assert.equal(after.auth.tokenSet, true);
    assert.equal(after.tls.clientKeySet, true);
    assert.deepEqual(after.headers, { "X-Api-Key": "k", "X-Team": "soc" });

    // Back, choosing None and removing the certificate, headers not kept: the server says it dropped them.
    const back: EndpointForm = { ...endpointToForm(after), url: "https://a.example/h", authType: "none", clientCert: "" };
    assert.deepEqual(originMove(after, back)?.headersCleared, ["X-Api-Key", "X-Team"]);
    assert.deepEqual(formToPatch(after, back).body, { url: "https://a.example/h", auth: null, tls: { clientCert: null, clientKey: null } });
    const res = await patch(after, back);
    assert.deepEqual((res as { cleared?: string[] }).cleared, ["headers"]);
    assert.deepEqual(res.headers, {});

    // Edited headers are sent as shown; a new path on the same origin asks for nothing.
    const withHeaders = await patch(res, { ...endpointToForm(res), headers: "X-A: 1" });
    const edited: EndpointForm = { ...endpointToForm(withHeaders), url: "https://c.example/h", headers: "X-A: 1, X-B: 2" };
    assert.equal(originMove(withHeaders, edited)?.headersAsk, false);
    assert.deepEqual(formToPatch(withHeaders, edited).body, { url: "https://c.example/h", headers: { "X-B": "2" } });
    assert.equal(originMove(withHeaders, { ...endpointToForm(withHeaders), url: "https://A.example/other?x=1" }), null);
  });

  it("maps the server's refusals to the fields they name", async () => {
    const cases: [Partial<EndpointForm>, keyof EndpointForm][] = [
      [{ headers: "Host: x" }, "headers"],
      [{ transform: "payload.(" }, "transform"],
      [{ clientCert: "not a pem", clientKey: "nope" }, "clientCert"],
      [{ signingScheme: "hmac-sha256", signingHeader: "webhook-signature" }, "signingHeader"],
      [{ eventTypes: "bad type!" }, "eventTypes"],
      [{ batching: true, envelope: "array", batchMaxEvents: "5000" }, "batchMaxEvents"],
    ];
    for (const [over, field] of cases) {
      const r = formToCreate(form({ url: "https://h.example/e", ...over }));
      const body = r.body ?? {};
      const res = await server.api<{ detail: string; errors?: { path: string; message: string }[] }>("POST", `/v1/tenants/${tenant}/endpoints`, body);
      // A local check may catch it first (batchMaxEvents); otherwise the server's problem does.
      const errors = r.errors ?? problemToFieldErrors(res.body);
      assert.ok(errors[field], `${JSON.stringify(over)} → ${JSON.stringify(errors)} (${res.status})`);
    }
  });
});

describe("web console: the Proxy field", () => {
  it("sends proxy only when it is chosen or changed, null to go back to the default, and maps /proxy refusals to it", () => {
    assert.equal(formToCreate(form({ url: "https://h.example/p", proxy: "eu-static" })).body?.proxy, "eu-static");
    assert.equal("proxy" in (formToCreate(form({ url: "https://h.example/p" })).body ?? {}), false);
    const ep = minimalEndpoint() as unknown as Endpoint;
    const shown = endpointToForm(ep);
    assert.equal(shown.proxy, "eu-static");
    // Someone who may not choose it (the field is text for them) leaves it as it is: nothing is sent.
    assert.equal("proxy" in (formToPatch(ep, { ...shown, name: "x" }).body ?? {}), false);
    assert.equal(formToPatch(ep, { ...shown, proxy: "" }).body?.proxy, null);
    assert.equal(formToPatch(ep, { ...shown, proxy: "us-static" }).body?.proxy, "us-static");
    assert.equal(
      problemToFieldErrors({ detail: "x", errors: [{ path: "/proxy", message: "only an admin key may choose the endpoint's egress proxy" }] }).proxy,
      "only an admin key may choose the endpoint's egress proxy",
    );
  });
});

/** The members endpointToForm reads, for an endpoint made without a server. */
function minimalEndpoint() {
  return {
    id: "ep_1",
    url: "https://h.example/p",
    name: null,
    description: null,
    eventTypes: ["*"],
    minSeverity: null,
    enabled: true,
    method: "POST" as const,
    headers: {},
    timeouts: { connectMs: 20000, requestMs: 15000 },
    retry: null,
    auth: { type: "none" as const },
    tls: { clientCert: null, clientCertInfo: null, clientKeySet: false, ca: null, skipVerify: false },
    format: { envelope: "raw" as const, transform: null },
    filter: null,
    lifecycle: { ongoingIntervalSec: 300, sendResolved: true },
    batch: null,
    rateLimit: null,
    signing: { scheme: "standard" as const },
    validation: { mode: "none" as const, method: "POST" as const, status: "none" as const, error: null, validatedAt: null },
    tracing: { propagate: false },
    proxy: "eu-static",
  };
}
