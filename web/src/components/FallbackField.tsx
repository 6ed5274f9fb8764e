import { SelectField } from "./fields.tsx";

/** The form field it edits: the fallback endpoint's id, blank for none. */
interface FallbackForm {
  fallbackEndpointId: string;
}

interface Props {
  form: FallbackForm;
  set: <K extends keyof FallbackForm>(name: K, value: FallbackForm[K]) => void;
  errors: Partial<Record<string, string>>;
  /** The tenant's other webhooks, to choose from. */
  choices: { id: string; label: string }[];
}

/** The webhook that takes this one's deliveries while it fails (circuit open, or disabled for failing). */
export function FallbackField({ form, set, errors, choices }: Props) {
  const known = choices.some((c) => c.id === form.fallbackEndpointId);
  const options = [
    { value: "", label: "None: deliveries wait while it fails" },
    ...choices.map((c) => ({ value: c.id, label: c.label })),
    ...(form.fallbackEndpointId && !known ? [{ value: form.fallbackEndpointId, label: form.fallbackEndpointId }] : []),
  ];
  return (
    <SelectField
      form={form}
      set={set}
      errors={errors}
      idPrefix="ep"
      name="fallbackEndpointId"
      label="Fallback webhook"
      options={options}
      hint="While this webhook's circuit is open or it was disabled for failing, its deliveries and its failing notices go there, signed and shaped by that webhook's own settings, with a webhook-fallback-for header."
    />
  );
}
