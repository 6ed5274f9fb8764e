import { SelectField, TextField } from "./fields.tsx";
import type { EndpointForm, FieldErrors } from "../lib/endpoint-form.ts";

interface Props {
  form: EndpointForm;
  set: <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => void;
  errors: FieldErrors;
  /** Write-only values already stored. */
  stored: { password: boolean; token: boolean; clientSecret?: boolean };
  /** The hint for a write-only field: whether a stored value is kept. */
  keep: (isSet: boolean) => string | undefined;
}

/** The endpoint form's Auth fieldset: none, basic, bearer, or OAuth2 client credentials. */
export function AuthFields({ form, set, errors, stored, keep }: Props) {
  const b = { form, set, errors, idPrefix: "ep" } as const;
  return (
    <fieldset id="auth">
      <legend>Auth</legend>
      <SelectField
        {...b}
        name="authType"
        label="Authentication"
        options={[
          { value: "none", label: "None" },
          { value: "basic", label: "Basic (username and password)" },
          { value: "bearer", label: "Bearer token" },
          { value: "oauth2", label: "OAuth2 client credentials" },
        ]}
      />
      {form.authType === "basic" ? (
        <div className="row">
          <TextField {...b} name="username" label="Username" />
          <TextField {...b} name="password" label="Password" type="password" autoComplete="new-password" hint={keep(stored.password)} />
        </div>
      ) : null}
      {form.authType === "bearer" ? (
        <TextField {...b} name="token" label="Token" type="password" autoComplete="new-password" hint={keep(stored.token)} />
      ) : null}
      {form.authType === "oauth2" ? (
        <>
          <TextField
            {...b}
            name="oauthTokenUrl"
            label="Token URL"
            placeholder="e.g. https://login.example.com/oauth2/token"
            hint="Tocsin fetches a token here (client credentials grant) and sends it as a bearer token."
          />
          <div className="row">
            <TextField {...b} name="oauthClientId" label="Client ID" />
            <TextField
              {...b}
              name="oauthClientSecret"
              label="Client secret"
              type="password"
              autoComplete="new-password"
              hint={keep(stored.clientSecret ?? false)}
            />
          </div>
          <div className="row">
            <TextField {...b} name="oauthScopes" label="Scopes" placeholder="e.g. alerts:write" hint="Separated by spaces or commas; optional." />
            <TextField {...b} name="oauthAudience" label="Audience" hint="Optional." />
          </div>
        </>
      ) : null}
    </fieldset>
  );
}
