import { TextField } from "./fields.tsx";
import type { RetryFields as Fields } from "../lib/endpoint-form-retry.ts";

interface Props {
  form: Fields;
  set: <K extends keyof Fields>(name: K, value: Fields[K]) => void;
  errors: Partial<Record<string, string>>;
  idPrefix: string;
}

/** The endpoint's own retry policy: delays, attempts in all and an age limit; all blank: the server's. */
export function RetryFields(b: Props) {
  return (
    <>
      <TextField
        {...b}
        name="retrySchedule"
        label="Retry delays"
        placeholder="server default, e.g. 5s, 5m, 30m"
        hint="Waits after each failed attempt (ms, s, m, h or d), separated by commas: one attempt more than delays. Blank: the server's schedule."
      />
      <div className="row">
        <TextField
          {...b}
          name="retryMaxAttempts"
          label="Max attempts"
          type="number"
          placeholder="e.g. 10"
          hint="In all, the first included: the delays are cut, or the last one repeated."
        />
        <TextField {...b} name="retryMaxAge" label="Give up after" placeholder="e.g. 2d" hint="No retry later than this after the event was created." />
      </div>
    </>
  );
}
