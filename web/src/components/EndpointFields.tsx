import type { Endpoint } from "@tocsin/client";
import { CheckField, SelectField, TextArea, TextField } from "./fields.tsx";
import { CopyButton } from "./ui.tsx";
import { KeyPairNote } from "./KeyPairNote.tsx";
import { AuthFields } from "./AuthFields.tsx";
import { RetryFields } from "./RetryFields.tsx";
import { FlappingFields } from "./FlappingFields.tsx";
import { DigestFields } from "./DigestFields.tsx";
import { FilterField } from "./FilterField.tsx";
import { ProxyField } from "./ProxyField.tsx";
import { FallbackField } from "./FallbackField.tsx";
import { OriginMoveNote } from "./OriginMoveNote.tsx";
import { DEFAULTS, type EndpointForm, type FieldErrors, type OriginMove, SEVERITIES } from "../lib/endpoint-form.ts";
import { SIGNING_PRESETS, presetOf, receiverCommand, rotationEffect } from "../lib/endpoint-signing.ts";
import { certExpiry, expirySentence } from "../lib/endpoint-tls.ts";

interface Props {
  form: EndpointForm;
  set: <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => void;
  errors: FieldErrors;
  editing: boolean;
  /** Write-only values already stored (shown as "set; leave blank to keep"). */
  stored: { password: boolean; token: boolean; clientKey: boolean; clientSecret?: boolean };
  /** The stored client certificate and what it says, when editing one. */
  storedCert?: { pem: string; info: NonNullable<Endpoint["tls"]["clientCertInfo"]> } | null;
  /** Sets several fields at once (a signing preset). */
  setMany?: (fields: Partial<EndpointForm>) => void;
  knownTypes: string[];
  /** Set while an edit moves the URL to another origin: stored credentials are not sent there. */
  move?: OriginMove | null;
  /** The configured egress proxies' names for an admin key; null (the default) for anyone else, who sees the choice as text. */
  proxies?: string[] | null;
  /** The tenant's other webhooks, which may be chosen as the fallback. */
  fallbacks?: { id: string; label: string }[];
}

export const GROUPS = [
  { id: "basics", label: "Basics" },
  { id: "request", label: "Request" },
  { id: "auth", label: "Auth" },
  { id: "tls", label: "TLS" },
  { id: "payload", label: "Payload" },
  { id: "advanced", label: "Advanced" },
] as const;

/** Every endpoint setting, grouped as the vendors' webhook pages group them. */
export function EndpointFields(props: Props) {
  const { form, set, setMany, errors, editing, stored, storedCert = null, knownTypes, move = null, proxies = null, fallbacks = [] } = props;
  const b = { form, set, errors, idPrefix: "ep" } as const;
  const keep = (isSet: boolean) =>
    editing && isSet ? (move ? "Stored for the old URL only: enter it again for the new one." : "Stored. Leave blank to keep it.") : undefined;
  return (
    <>
      <fieldset id="basics">
        <legend>Basics</legend>
        <TextField {...b} name="name" label="Name" placeholder="e.g. SOC webhook" />
        <TextField
          {...b}
          name="url"
          label="URL"
          type="url"
          required
          placeholder="e.g. https://hooks.example.com/alerts"
          hint="http or https; where the webhooks are sent."
        />
        {move ? <OriginMoveNote move={move} form={form} set={set} errors={errors} /> : null}
        <TextArea {...b} name="description" label="Description" rows={2} />
        <TextField
          {...b}
          name="eventTypes"
          label="Event types"
          placeholder="e.g. alert.*, leak"
          hint={
            <>
              Names, <code>prefix.*</code> or <code>*</code> (every type except <code>tocsin.*</code>), separated by commas. Empty: receives nothing.
              {knownTypes.length > 0 ? (
                <>
                  {" "}
                  Catalog: {knownTypes.slice(0, 12).join(", ")}
                  {knownTypes.length > 12 ? ", …" : ""}.
                </>
              ) : null}
            </>
          }
        />
        <SelectField
          {...b}
          name="minSeverity"
          label="Minimum severity"
          options={[{ value: "", label: "Any (events without a severity too)" }, ...SEVERITIES.map((s) => ({ value: s, label: `${s} and above` }))]}
        />
        <FilterField {...b} />
        <CheckField {...b} name="enabled" label="Enabled" hint="Off: paused. New events create no deliveries; waiting ones wait." />
      </fieldset>

      <fieldset id="request">
        <legend>Request</legend>
        <SelectField
          {...b}
          name="method"
          label="Method"
          options={[
            { value: "POST", label: "POST (default)" },
            { value: "PUT", label: "PUT" },
          ]}
        />
        <TextArea
          {...b}
          name="headers"
          label="Headers"
          rows={2}
          mono
          placeholder="e.g. X-Team: soc, X-Env: prod"
          hint="Extra headers as Name: value, separated by commas or new lines."
        />
        <div className="row">
          <TextField {...b} name="connectMs" label="Connect timeout (ms)" type="number" placeholder={`default: ${DEFAULTS.connectMs}`} />
          <TextField {...b} name="requestMs" label="Request timeout (ms)" type="number" placeholder={`default: ${DEFAULTS.requestMs}`} />
        </div>
        <RetryFields {...b} />
        <ProxyField form={form} set={set} errors={errors} proxies={proxies} />
        <FallbackField form={form} set={set} errors={errors} choices={fallbacks} />
        <CheckField
          {...b}
          name="propagateTrace"
          label="Propagate trace context"
          hint="Send each request's W3C traceparent header, so the receiver's traces continue Tocsin's. Only while the server traces (OTEL_TRACES_EXPORTER)."
        />
      </fieldset>

      <AuthFields form={form} set={set} errors={errors} stored={stored} keep={keep} />

      <fieldset id="tls">
        <legend>TLS</legend>
        <TextArea
          {...b}
          name="clientCert"
          label="Client certificate (PEM)"
          rows={3}
          mono
          placeholder="e.g. -----BEGIN CERTIFICATE-----"
          hint="For mutual TLS; clear it to remove the certificate and its key."
        />
        {storedCert && form.clientCert.trim() === storedCert.pem.trim() ? <CertSummary info={storedCert.info} /> : null}
        <TextArea
          {...b}
          name="clientKey"
          label="Client key (PEM)"
          rows={3}
          mono
          placeholder="e.g. -----BEGIN PRIVATE KEY-----"
          hint={keep(stored.clientKey) ?? "Unencrypted PKCS#8 or traditional PEM; stored encrypted, never shown again."}
        />
        <TextArea {...b} name="ca" label="Extra CA certificates (PEM)" rows={3} mono hint="Trusted besides the usual roots, for receivers with a private CA." />
        <CheckField {...b} name="skipVerify" label="Skip certificate verification" />
        {form.skipVerify ? (
          <p className="warning" role="note">
            ⚠ Any certificate and host name will be accepted: someone between Tocsin and the receiver could read and change the webhooks. Prefer adding the
            receiver's CA above.
          </p>
        ) : null}
      </fieldset>

      <fieldset id="payload">
        <legend>Payload</legend>
        <SelectField
          {...b}
          name="envelope"
          label="Envelope"
          options={[
            { value: "raw", label: "Raw: the payload as posted (default)" },
            { value: "standard", label: "Standard: {type, timestamp, data}" },
            { value: "array", label: "Array: [payload]" },
            { value: "ndjson", label: "NDJSON: one line a payload" },
          ]}
        />
        <TextArea
          {...b}
          name="transform"
          label="Transform (JSONata)"
          rows={2}
          mono
          placeholder='e.g. {"event_id": id, "src_ip": payload.srcip}'
          hint="Optional: its result becomes the body, before the envelope."
        />
        <div className="row">
          <TextField
            {...b}
            name="ongoingIntervalSec"
            label="Alert update interval (s)"
            type="number"
            placeholder={`default: ${DEFAULTS.ongoingIntervalSec}`}
            hint="At most one ongoing update per alert per interval; 0: every one."
          />
          <CheckField {...b} name="sendResolved" label="Send resolved (end) updates" />
        </div>
        <FlappingFields {...b} />
        <CheckField {...b} name="batching" label="Batch several events in one request" hint="Needs the array or ndjson envelope." />
        {form.batching ? (
          <div className="row">
            <TextField {...b} name="batchMaxEvents" label="Max events a batch" type="number" placeholder={`default: ${DEFAULTS.batchMaxEvents}`} />
            <TextField {...b} name="batchMaxWaitMs" label="Max wait (ms)" type="number" placeholder={`default: ${DEFAULTS.batchMaxWaitMs}`} />
          </div>
        ) : null}
        <DigestFields {...b} />
        <CheckField {...b} name="rateLimiting" label="Limit the request rate" hint="Deliveries beyond the rate wait; they never fail for it." />
        {form.rateLimiting ? (
          <div className="row">
            <TextField {...b} name="ratePerSecond" label="Requests a second" type="number" inputMode="decimal" placeholder="e.g. 5 or 0.5" />
            <TextField {...b} name="rateBurst" label="Burst" type="number" placeholder="default: the rate, rounded up" />
          </div>
        ) : null}
      </fieldset>

      <fieldset id="advanced">
        <legend>Advanced</legend>
        {setMany ? <SigningPresets form={form} setMany={setMany} /> : null}
        <SelectField
          {...b}
          name="signingScheme"
          label="Signing scheme"
          options={[
            { value: "standard", label: "Standard Webhooks (default)" },
            { value: "hmac-sha256", label: "HMAC-SHA256 in a header of your choice" },
            { value: "ed25519", label: "Ed25519 (Standard Webhooks v1a)" },
            { value: "none", label: "None (unsigned)" },
          ]}
        />
        {form.signingScheme === "none" ? (
          <p className="warning" role="note">
            ⚠ Unsigned: the receiver cannot tell these webhooks from forged ones.
          </p>
        ) : null}
        {form.signingScheme === "hmac-sha256" ? (
          <>
            <div className="row">
              <TextField {...b} name="signingHeader" label="Signature header" required placeholder="e.g. X-Signature" />
              <SelectField
                {...b}
                name="signingEncoding"
                label="Encoding"
                options={[
                  { value: "hex", label: "hex (default)" },
                  { value: "base64", label: "base64" },
                ]}
              />
            </div>
            <div className="row">
              <TextField {...b} name="signingPrefix" label="Prefix" placeholder="none" hint="Text before the digest, e.g. sha256=." />
              <TextField
                {...b}
                name="signingTimestampHeader"
                label="Timestamp header"
                placeholder="none"
                hint="When set, the signed bytes are <unix seconds>:<body>."
              />
            </div>
          </>
        ) : null}
        <ReceiverSnippet form={form} />
        {form.signingScheme === "ed25519" ? (
          <KeyPairNote />
        ) : (
          <TextField
            {...b}
            name="secret"
            label="Signing secret"
            type="password"
            autoComplete="new-password"
            hint={
              editing
                ? `Leave blank to keep the current secret; a value replaces it at once and stops any earlier one signing. To switch gently, use Rotate secret on the webhook's page: ${rotationEffect(signingOfForm(form)).overlap ? "with these settings the old secret keeps signing for 24 hours." : "with these settings the header carries one signature, so rotation switches at once too."}`
                : "Leave blank to have one generated (whsec_…)."
            }
          />
        )}
        <div className="row">
          <SelectField
            {...b}
            name="validationMode"
            label="Validation"
            options={[
              { value: "none", label: "None (default)" },
              { value: "token-path", label: "Token path: <url>/<token> must answer 2xx" },
              { value: "challenge", label: "Challenge: the receiver echoes it" },
            ]}
          />
          {form.validationMode === "token-path" ? (
            <SelectField {...b} name="validationMethod" label="Validation method" options={["POST", "PUT", "GET"].map((m) => ({ value: m, label: m }))} />
          ) : null}
        </div>
      </fieldset>
    </>
  );
}

const signingOfForm = (f: EndpointForm) => ({ scheme: f.signingScheme, header: f.signingHeader.trim(), prefix: f.signingPrefix.trim() });

/** One click sets the signing fields as a vendor's receivers expect them. */
function SigningPresets({ form, setMany }: { form: EndpointForm; setMany: (fields: Partial<EndpointForm>) => void }) {
  const current = presetOf(form);
  return (
    <div className="field" role="group" aria-labelledby="presets-label">
      <span className="label" id="presets-label">
        Signing preset
      </span>
      <div className="presets">
        {SIGNING_PRESETS.map((p) => (
          <button key={p.id} type="button" aria-pressed={current?.id === p.id} onClick={() => setMany(p.fields)} title={p.summary}>
            {p.label}
          </button>
        ))}
      </div>
      <p className="hint">
        {current
          ? `${current.label}: ${current.summary}.`
          : form.signingScheme === "none"
            ? "Unsigned."
            : form.signingScheme === "ed25519"
              ? "Ed25519: signed with a key pair Tocsin keeps, verified with its public key; the presets are HMAC forms."
              : "Custom HMAC-SHA256 settings. A preset sets the scheme, header, encoding, prefix and timestamp header at once."}
      </p>
    </div>
  );
}

/** The command that runs the example receiver with the verification these settings need. */
function ReceiverSnippet({ form }: { form: EndpointForm }) {
  const command = receiverCommand(form);
  if (!command) return null;
  return (
    <details className="snippet">
      <summary>Receiver code for these settings</summary>
      <p className="hint">
        examples/receivers holds a receiver in TypeScript, Python and Go that checks this signature (docs/signing.md); with the webhook&apos;s secret in
        TOCSIN_SECRET:
      </p>
      <pre tabIndex={0} aria-label="Receiver command">
        {command}
      </pre>
      <CopyButton text={command} label="Copy command" />
    </details>
  );
}

/** What the stored client certificate says: subject, issuer and expiry, warned about within 30 days. */
function CertSummary({ info }: { info: NonNullable<Endpoint["tls"]["clientCertInfo"]> }) {
  const expiry = certExpiry(info.notAfter, Date.now());
  return (
    <dl className={`cert-info${expiry.state === "valid" ? "" : " warning"}`} aria-label="Stored client certificate">
      <div>
        <dt>Subject</dt>
        <dd>{info.subject}</dd>
      </div>
      <div>
        <dt>Issuer</dt>
        <dd>{info.issuer}</dd>
      </div>
      <div>
        <dt>Expires</dt>
        <dd data-testid="cert-expiry">
          {expiry.state === "valid" ? null : "⚠ "}
          {expirySentence(expiry)}
        </dd>
      </div>
    </dl>
  );
}
