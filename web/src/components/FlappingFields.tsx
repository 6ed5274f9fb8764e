import { CheckField, TextField } from "./fields.tsx";
import { DEFAULTS, type EndpointForm } from "../lib/endpoint-form-state.ts";

interface Props {
  form: EndpointForm;
  set: <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => void;
  errors: Partial<Record<string, string>>;
  idPrefix: string;
}

/** Flap damping (`flapping`): the checkbox, and its three numbers when ticked; blank ones take the server's defaults. */
export function FlappingFields(b: Props) {
  return (
    <>
      <CheckField
        {...b}
        name="flapDamping"
        label="Damp flapping alerts"
        hint="An alert that keeps starting again is held, with one tocsin.alert.flapping notice, until it is stable."
      />
      {b.form.flapDamping ? (
        <div className="row">
          <TextField {...b} name="flapTransitions" label="Restarts allowed" type="number" placeholder={`default: ${DEFAULTS.flapTransitions}`} />
          <TextField {...b} name="flapWindowMin" label="Within (min)" type="number" placeholder={`default: ${DEFAULTS.flapWindowMin}`} />
          <TextField {...b} name="flapStableSec" label="Stable for (s)" type="number" placeholder={`default: ${DEFAULTS.flapStableSec}`} />
        </div>
      ) : null}
    </>
  );
}
