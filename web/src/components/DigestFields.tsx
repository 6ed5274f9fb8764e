import { CheckField, TextField } from "./fields.tsx";
import type { DigestFields as Fields } from "../lib/endpoint-form-digest.ts";

interface Props {
  form: Fields;
  // A method, so that the whole form's setter fits (its fields include these).
  set<K extends keyof Fields>(name: K, value: Fields[K]): void;
  errors: Partial<Record<string, string>>;
  idPrefix: string;
}

/** The endpoint's digest: per alert (or payload value), the first event at once and the rest of each window in one request. */
export function DigestFields(b: Props) {
  return (
    <>
      <CheckField
        {...b}
        name="digesting"
        label="Send digests"
        hint="Per alert, the first event goes at once; the others of the window arrive in one digest at its end, with their count."
      />
      {b.form.digesting ? (
        <div className="row">
          <TextField {...b} name="digestWindow" label="Digest window" placeholder="default: 5m" hint="From 10s to 24h." />
          <TextField {...b} name="digestMaxEvents" label="Events listed" type="number" placeholder="default: 100" hint="The latest ones; all are counted." />
          <TextField {...b} name="digestGroupBy" label="Group by" placeholder="default: fingerprint, e.g. payload.host" />
        </div>
      ) : null}
    </>
  );
}
