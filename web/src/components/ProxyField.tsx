import { SelectField } from "./fields.tsx";

/** The form field it edits: the proxy's name, blank for the default. */
interface ProxyForm {
  proxy: string;
}

interface Props {
  form: ProxyForm;
  set: <K extends keyof ProxyForm>(name: K, value: ProxyForm[K]) => void;
  errors: Partial<Record<string, string>>;
  /** The configured proxies' names (GET /v1/proxies) for an admin key; null for anyone else, who may not choose. */
  proxies: string[] | null;
}

/**
 * The endpoint's egress proxy: a select for admin keys, the operator's choice as plain text for
 * tenant keys and portal sessions (the server refuses `proxy` from them).
 */
export function ProxyField({ form, set, errors, proxies }: Props) {
  if (proxies === null) {
    return form.proxy ? (
      <p className="hint" data-testid="proxy-readonly">
        Egress proxy: <code>{form.proxy}</code> (chosen by the operator).
      </p>
    ) : null;
  }
  const names = form.proxy && !proxies.includes(form.proxy) ? [...proxies, form.proxy] : proxies;
  return (
    <SelectField
      form={form}
      set={set}
      errors={errors}
      idPrefix="ep"
      name="proxy"
      label="Proxy"
      options={[{ value: "", label: "Default (TOCSIN_EGRESS_PROXY, or direct)" }, ...names.map((n) => ({ value: n, label: n }))]}
      hint="The egress proxy (TOCSIN_PROXIES) its deliveries, tests and validation go through. Admin keys only."
    />
  );
}
