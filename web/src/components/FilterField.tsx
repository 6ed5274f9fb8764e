import { TextArea } from "./fields.tsx";
import type { EndpointForm, FieldErrors } from "../lib/endpoint-form.ts";

interface Props {
  form: EndpointForm;
  set: <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => void;
  errors: FieldErrors;
  idPrefix: string;
}

export const FILTER_PLACEHOLDER = 'e.g. {"payload.severity": {"$in": ["high", "critical"]}, "payload.asset.env": "prod"}';

/** The filter language in one line: its paths and operators, with an example (docs/endpoints.md, Filters). */
export function FilterSyntax() {
  return (
    <>
      Paths <code>type</code>, <code>severity</code>, <code>fingerprint</code>, <code>state</code>, <code>payload.a.b</code>; operators{" "}
      <code>$eq $ne $in $nin $gt $gte $lt $lte $exists $prefix $and $or $not</code>. E.g. <code>{'{"payload.score": {"$gte": 7}}'}</code>.
    </>
  );
}

/** The endpoint's filter as JSON (docs/endpoints.md, Filters); blank: every event of its types. */
export function FilterField(b: Props) {
  return (
    <TextArea
      {...b}
      name="filter"
      label="Filter"
      rows={3}
      mono
      placeholder={FILTER_PLACEHOLDER}
      hint={
        <>
          Optional JSON: only events it passes are delivered. <FilterSyntax /> Blank: every event of its types.
        </>
      }
    />
  );
}
